//! Members' flags: recording one, the queue a domain's facilitators review, and resolving them.

use sqlx::{PgConnection, PgPool};

use crate::moderation::fields::{FlagReason, Verdict};

/// Records a flag; `false` when this member already has an open flag on the post.
pub async fn add(
    db: &mut PgConnection,
    post_id: i64,
    flagger_id: i64,
    reason: FlagReason,
    note: &str,
) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "INSERT INTO flags (post_id, flagger_id, reason, note) VALUES ($1, $2, $3, $4)
         ON CONFLICT (post_id, flagger_id) WHERE resolved_at IS NULL DO NOTHING",
    )
    .bind(post_id)
    .bind(flagger_id)
    .bind(reason.as_str())
    .bind(note)
    .execute(db)
    .await?;
    Ok(added.rows_affected() == 1)
}

/// This member flagged the post and the facilitators have not yet reviewed it.
pub async fn is_open(db: &PgPool, post_id: i64, flagger_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM flags
                         WHERE post_id = $1 AND flagger_id = $2 AND resolved_at IS NULL)",
    )
    .bind(post_id)
    .bind(flagger_id)
    .fetch_one(db)
    .await
}

/// Resolves a post's open flags; returns who flagged it.
pub async fn resolve(
    db: &mut PgConnection,
    post_id: i64,
    reviewer_id: i64,
    verdict: Verdict,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "UPDATE flags SET resolved_at = now(), resolved_by = $2, outcome = $3
          WHERE post_id = $1 AND resolved_at IS NULL RETURNING flagger_id",
    )
    .bind(post_id)
    .bind(reviewer_id)
    .bind(verdict.as_str())
    .fetch_all(db)
    .await
}

/// Tells the domain's facilitators (but not the one who flagged) that a post has its first open
/// flag; later flags on it join the same review, so they are not announced again.
pub async fn tell_facilitators(
    db: &mut PgConnection,
    post_id: i64,
    flagger_id: i64,
    reason: FlagReason,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, thread_id, post_id, message)
         SELECT m.user_id, 'flagged', t.id, p.id, $3
           FROM posts p
           JOIN threads t ON t.id = p.thread_id
           JOIN memberships m ON m.domain_id = t.domain_id AND m.role = 'facilitator'
          WHERE p.id = $1 AND m.user_id <> $2
            AND (SELECT count(*) FROM flags f WHERE f.post_id = $1 AND f.resolved_at IS NULL) = 1",
    )
    .bind(post_id)
    .bind(flagger_id)
    .bind(reason.as_str())
    .execute(db)
    .await
    .map(|_| ())
}

/// Tells a post's author that flags from several members hid it until a facilitator reviews it.
pub async fn tell_author_hidden(db: &mut PgConnection, post_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, thread_id, post_id)
         SELECT p.author_id, 'post_hidden', p.thread_id, p.id FROM posts p WHERE p.id = $1",
    )
    .bind(post_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Tells each flagger what the facilitators decided.
pub async fn tell_flaggers(
    db: &mut PgConnection,
    flaggers: &[i64],
    reviewer_id: i64,
    thread_id: i64,
    post_id: i64,
    message: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id, message)
         SELECT DISTINCT unnest($1::bigint[]), 'flag_outcome', $2, $3, $4, $5",
    )
    .bind(flaggers)
    .bind(reviewer_id)
    .bind(thread_id)
    .bind(post_id)
    .bind(message)
    .execute(db)
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow)]
pub struct FlaggedPost {
    pub post_id: i64,
    pub thread_title: String,
    pub author_name: String,
    pub body_md: String,
    pub hidden: bool,
    pub flag_count: i64,
    pub reasons: Vec<String>,
    pub notes: Vec<String>,
}

impl FlaggedPost {
    pub fn excerpt(&self) -> String {
        crate::markdown::plain_excerpt(&self.body_md, 300)
    }
}

/// A domain's posts with open flags, most flagged first.
pub async fn queue(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<FlaggedPost>> {
    sqlx::query_as(
        "SELECT p.id AS post_id, t.title AS thread_title, u.display_name AS author_name, p.body_md, p.hidden,
                count(f.*) AS flag_count, array_agg(f.reason ORDER BY f.id) AS reasons,
                coalesce(array_agg(f.note ORDER BY f.id) FILTER (WHERE f.note <> ''), '{}') AS notes
           FROM flags f
           JOIN posts p ON p.id = f.post_id
           JOIN threads t ON t.id = p.thread_id
           JOIN users u ON u.id = p.author_id
          WHERE t.domain_id = $1 AND f.resolved_at IS NULL
          GROUP BY p.id, t.title, u.display_name
          ORDER BY count(f.*) DESC, min(f.created_at)
          LIMIT 100",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
}
