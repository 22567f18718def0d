//! Hiding and restoring single posts: by a facilitator, or automatically after members' flags.

use sqlx::PgConnection;

/// Hides a post; `by` is the facilitator, or `None` when members' flags hid it.
pub async fn hide(
    db: &mut PgConnection,
    post_id: i64,
    by: Option<i64>,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE posts SET hidden = true, hidden_by = $2, hidden_reason = $3 WHERE id = $1")
        .bind(post_id)
        .bind(by)
        .bind(reason)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn restore(db: &mut PgConnection, post_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE posts SET hidden = false, hidden_by = NULL, hidden_reason = NULL WHERE id = $1",
    )
    .bind(post_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Hides a post once `threshold` established members (or three times as many new accounts) have
/// open flags on it, until a facilitator reviews it. A post by the domain's facilitator or by
/// an admin is never hidden by flags alone; only the queue hears of it.
pub async fn hide_if_flagged_by(
    db: &mut PgConnection,
    post_id: i64,
    threshold: i64,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE posts p SET hidden = true, hidden_by = NULL,
                hidden_reason = 'Hidden after flags from several members; waiting for a facilitator''s review'
          WHERE p.id = $1 AND NOT p.hidden
            AND NOT EXISTS (SELECT 1 FROM users a WHERE a.id = p.author_id AND a.site_role = 'admin')
            AND NOT EXISTS (SELECT 1 FROM threads t
                              JOIN memberships m ON m.domain_id = t.domain_id
                             WHERE t.id = p.thread_id AND m.user_id = p.author_id
                               AND m.role = 'facilitator')
            AND (SELECT coalesce(sum(CASE WHEN u.created_at <= now() - $3 * interval '1 day'
                                          THEN $4 ELSE 1 END), 0)
                   FROM flags f JOIN users u ON u.id = f.flagger_id
                  WHERE f.post_id = $1 AND f.resolved_at IS NULL) >= $2 * $4",
    )
    .bind(post_id)
    .bind(threshold)
    .bind(ESTABLISHED_AFTER_DAYS)
    .bind(NEW_ACCOUNT_FLAGS_PER_FLAG)
    .execute(db)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// An account this many days old flags with full weight.
pub const ESTABLISHED_AFTER_DAYS: i32 = 7;

/// Flags from accounts younger than that count this many times less toward hiding a post on
/// their own: three throwaway accounts cannot hide anyone's post (they still reach the
/// facilitators' queue). Discourse weighs flags by trust level the same way.
const NEW_ACCOUNT_FLAGS_PER_FLAG: i64 = 3;

/// Undoes a hide that flags did on their own (a facilitator's own hide stays).
pub async fn restore_if_hidden_by_flags(db: &mut PgConnection, post_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE posts SET hidden = false, hidden_reason = NULL WHERE id = $1 AND hidden AND hidden_by IS NULL")
        .bind(post_id)
        .execute(db)
        .await
        .map(|_| ())
}
