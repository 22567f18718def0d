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

/// Hides a post once `threshold` different members have open flags on it, until a facilitator
/// reviews it.
pub async fn hide_if_flagged_by(
    db: &mut PgConnection,
    post_id: i64,
    threshold: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE posts SET hidden = true, hidden_by = NULL,
                hidden_reason = 'Hidden after flags from several members; waiting for a facilitator''s review'
          WHERE id = $1 AND NOT hidden
            AND (SELECT count(DISTINCT flagger_id) FROM flags WHERE post_id = $1 AND resolved_at IS NULL) >= $2",
    )
    .bind(post_id)
    .bind(threshold)
    .execute(db)
    .await
    .map(|_| ())
}

/// Undoes a hide that flags did on their own (a facilitator's own hide stays).
pub async fn restore_if_hidden_by_flags(db: &mut PgConnection, post_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE posts SET hidden = false, hidden_reason = NULL WHERE id = $1 AND hidden AND hidden_by IS NULL")
        .bind(post_id)
        .execute(db)
        .await
        .map(|_| ())
}
