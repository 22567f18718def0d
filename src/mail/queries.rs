//! SQL for the outbox: writing a message, claiming due ones, recording what became of them.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use super::Outgoing;

/// Queues `message` in the caller's transaction: it is sent only if the act commits.
pub async fn enqueue(
    tx: &mut PgConnection,
    message: &Outgoing,
    message_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO outbox (user_id, to_address, subject, text_body, html_body, message_id,
                             list_id, thread_key, unsubscribe_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(message.user_id)
    .bind(&message.to_address)
    .bind(&message.subject)
    .bind(&message.text_body)
    .bind(&message.html_body)
    .bind(message_id)
    .bind(message.list.as_ref().map(|l| &l.list_id))
    .bind(message.list.as_ref().and_then(|l| l.thread_key.as_ref()))
    .bind(message.list.as_ref().map(|l| &l.unsubscribe_url))
    .fetch_one(tx)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Queued {
    pub id: i64,
    pub user_id: Option<i64>,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub created_at: OffsetDateTime,
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub failed_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub list_id: Option<String>,
    pub thread_key: Option<String>,
    pub unsubscribe_url: Option<String>,
}

impl Queued {
    /// Where the message stands, in words.
    pub fn state(&self, smtp_configured: bool) -> String {
        match (self.sent_at, self.failed_at) {
            (Some(_), _) => "sent".into(),
            (None, Some(_)) => "given up".into(),
            _ if !smtp_configured => "not sent: no SMTP server is configured".into(),
            _ if self.attempts == 0 => "waiting to be sent".into(),
            _ => format!("not sent yet, {} tries so far", self.attempts),
        }
    }
}

const QUEUED: &str = "SELECT id, user_id, to_address, subject, text_body, html_body, message_id,
                             created_at, attempts, next_attempt_at, sent_at,
                             failed_at, last_error, list_id, thread_key, unsubscribe_url
                        FROM outbox";

/// Claims up to `limit` due messages for this process for a minute. `SKIP LOCKED` lets several
/// processes claim at once without waiting on, or taking, each other's messages.
pub async fn claim_due(db: &PgPool, limit: i64) -> sqlx::Result<Vec<Queued>> {
    sqlx::query_as(
        "UPDATE outbox SET claimed_until = now() + interval '1 minute', attempts = attempts + 1
          WHERE id IN (SELECT id FROM outbox
                        WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                          AND (claimed_until IS NULL OR claimed_until < now())
                        ORDER BY id LIMIT $1
                        FOR UPDATE SKIP LOCKED)
          RETURNING id, user_id, to_address, subject, text_body, html_body, message_id,
                    created_at, attempts, next_attempt_at, sent_at,
                    failed_at, last_error, list_id, thread_key, unsubscribe_url",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Hands claimed messages back unsent (this process is stopping).
pub async fn release(db: &PgPool, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET claimed_until = NULL, attempts = attempts - 1 WHERE id = ANY($1)",
    )
    .bind(ids)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn mark_sent(db: &PgPool, id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET sent_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

/// A temporary failure: try again after `delay_seconds`.
pub async fn retry_later(
    db: &PgPool,
    id: i64,
    delay_seconds: i64,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 second', claimed_until = NULL,
                last_error = $3
          WHERE id = $1",
    )
    .bind(id)
    .bind(delay_seconds)
    .bind(error)
    .execute(db)
    .await
    .map(|_| ())
}

/// A permanent failure, or too many temporary ones: stop, and show why in the outbox.
pub async fn give_up(db: &PgPool, id: i64, error: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET failed_at = now(), claimed_until = NULL, last_error = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(db)
    .await
    .map(|_| ())
}

/// Newest first, `OUTBOX_PAGE` at a time, continuing below `before`.
pub async fn newest(db: &PgPool, before: Option<i64>) -> sqlx::Result<Vec<Queued>> {
    sqlx::query_as(&format!(
        "{QUEUED} WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT {OUTBOX_PAGE}"
    ))
    .bind(before)
    .fetch_all(db)
    .await
}

pub const OUTBOX_PAGE: i64 = 50;

pub async fn message(db: &PgPool, id: i64) -> sqlx::Result<Option<Queued>> {
    sqlx::query_as(&format!("{QUEUED} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The messages waiting to be sent, for `/metrics`.
#[derive(sqlx::FromRow)]
pub struct QueueDepth {
    pub waiting: i64,
    /// How long the oldest of them has waited (0 when none waits).
    pub oldest_seconds: f64,
}

pub async fn queue_depth(db: &PgPool) -> sqlx::Result<QueueDepth> {
    sqlx::query_as(
        "SELECT count(*) AS waiting,
                coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_seconds
           FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
    )
    .fetch_one(db)
    .await
}
