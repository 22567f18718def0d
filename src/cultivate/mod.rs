//! Cultivate: help domains start and stay alive — charters that facilitators keep current, an
//! introductions thread in every domain with a welcome for newcomers, events with RSVPs and
//! iCalendar files, and the facilitator's health view computed from the domain's real activity.

pub mod charts;
pub mod events;
pub mod health;
pub mod routes;
pub mod views;

use sqlx::{Postgres, Transaction};

/// Gives a domain its pinned introductions thread unless it has one already; returns whether it
/// made one.
pub async fn ensure_introductions(
    tx: &mut Transaction<'_, Postgres>,
    domain_id: i64,
    author_id: i64,
    domain_name: &str,
) -> sqlx::Result<bool> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM threads WHERE domain_id = $1 AND kind = 'introduction')",
    )
    .bind(domain_id)
    .fetch_one(&mut **tx)
    .await?;
    if exists {
        return Ok(false);
    }
    let thread_id: i64 = sqlx::query_scalar(
        "INSERT INTO threads (domain_id, author_id, title, kind, pinned) VALUES ($1, $2, $3, 'introduction', true) RETURNING id",
    )
    .bind(domain_id)
    .bind(author_id)
    .bind(format!("Introductions: who we are in {domain_name}"))
    .fetch_one(&mut **tx)
    .await?;
    let body = "Welcome! Reply here to introduce yourself: who you are, where you practise, and what you hope to learn or share here.";
    // The welcome mentions nobody, so there is nothing to notify.
    crate::forum::queries::insert_post(tx, thread_id, author_id, body, false).await?;
    Ok(true)
}

/// The domain's introductions thread, and whether `user_id` has posted in it.
pub async fn introductions_status(
    db: &sqlx::PgPool,
    domain_id: i64,
    user_id: Option<i64>,
) -> sqlx::Result<Option<(i64, bool)>> {
    sqlx::query_as(
        "SELECT t.id, EXISTS (SELECT 1 FROM posts p WHERE p.thread_id = t.id AND p.author_id = $2)
           FROM threads t WHERE t.domain_id = $1 AND t.kind = 'introduction' AND NOT t.hidden
          ORDER BY t.id LIMIT 1",
    )
    .bind(domain_id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}
