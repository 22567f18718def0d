//! Starter contributions (`/d/{slug}/start`): first steps chosen for the member from the
//! domain's own needs — questions on topics they list as expertise that nobody has answered,
//! repertoire entries waiting for review, and recent introductions to welcome.

use sqlx::PgPool;
use time::OffsetDateTime;

/// A thread or an entry to start with: (id, title).
#[derive(sqlx::FromRow)]
pub struct Start {
    pub id: i64,
    pub title: String,
}

/// Questions in the domain tagged with one of the member's stated expertise, with no reply
/// yet and no accepted answer, not the member's own, newest first.
pub async fn questions_for(db: &PgPool, domain_id: i64, user_id: i64) -> sqlx::Result<Vec<Start>> {
    sqlx::query_as(
        "SELECT t.id, t.title FROM threads t
          WHERE t.domain_id = $1 AND t.kind = 'question' AND t.reply_count = 0
            AND t.accepted_post_id IS NULL AND NOT t.hidden AND NOT t.locked AND t.author_id <> $2
            AND t.tags && (SELECT expertise FROM users WHERE id = $2)
          ORDER BY t.created_at DESC LIMIT 5",
    )
    .bind(domain_id)
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Entries of the domain waiting in its review queue, longest waiting first.
pub async fn entries_to_review(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<Start>> {
    sqlx::query_as(
        "SELECT id, title FROM repertoire_entries
          WHERE domain_id = $1 AND state IN ('needs_review', 'outdated')
          ORDER BY review_by, id LIMIT 5",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
}

/// Someone's introduction to welcome.
#[derive(sqlx::FromRow)]
pub struct Introduction {
    pub post_id: i64,
    pub author_name: String,
    pub created_at: OffsetDateTime,
}

/// Introductions others posted in the domain in the two weeks before `now`, newest first.
pub async fn introductions_to_welcome(
    db: &PgPool,
    domain_id: i64,
    user_id: i64,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<Introduction>> {
    sqlx::query_as(
        "SELECT p.id AS post_id, u.display_name AS author_name, p.created_at
           FROM threads t JOIN posts p ON p.thread_id = t.id JOIN users u ON u.id = p.author_id
          WHERE t.domain_id = $1 AND t.kind = 'introduction' AND NOT t.hidden
            AND p.author_id <> $2 AND p.deleted_at IS NULL AND NOT p.hidden
            AND p.created_at > $3 - interval '14 days'
          ORDER BY p.created_at DESC LIMIT 5",
    )
    .bind(domain_id)
    .bind(user_id)
    .bind(now)
    .fetch_all(db)
    .await
}
