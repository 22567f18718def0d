//! The SQL of message flags: recording one, telling the admins, the queue, the review page and
//! the verdict.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::moderation::fields::{FlagReason, Verdict};

/// A message as its participant may flag it.
#[derive(sqlx::FromRow)]
pub struct Flaggable {
    pub id: i64,
    pub conversation_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub body_html: String,
    pub hidden: bool,
    /// This participant's flag on it waits for review.
    pub flagged_by_viewer: bool,
}

/// The message `message_id` of conversation `conversation_id`, if `user_id` takes part in it.
pub async fn flaggable(
    db: &PgPool,
    conversation_id: i64,
    message_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<Flaggable>> {
    sqlx::query_as(
        "SELECT m.id, m.conversation_id, m.author_id, u.display_name AS author_name,
                m.body_html, m.hidden_at IS NOT NULL AS hidden,
                EXISTS (SELECT 1 FROM message_flags f
                         WHERE f.message_id = m.id AND f.flagger_id = $3
                           AND f.resolved_at IS NULL) AS flagged_by_viewer
           FROM messages m
           JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $3
           JOIN users u ON u.id = m.author_id
          WHERE m.id = $2 AND m.conversation_id = $1",
    )
    .bind(conversation_id)
    .bind(message_id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Records a flag; `false` when this member already has an open flag on the message.
pub async fn add(
    tx: &mut PgConnection,
    message_id: i64,
    flagger_id: i64,
    reason: FlagReason,
    note: &str,
) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "INSERT INTO message_flags (message_id, flagger_id, reason, note) VALUES ($1, $2, $3, $4)
         ON CONFLICT (message_id, flagger_id) WHERE resolved_at IS NULL DO NOTHING",
    )
    .bind(message_id)
    .bind(flagger_id)
    .bind(reason.as_str())
    .bind(note)
    .execute(tx)
    .await?;
    Ok(added.rows_affected() == 1)
}

/// Tells every admin (but the flagger) that a message waits for review; the notification names
/// the reason, never the conversation or its words.
pub async fn tell_admins(
    tx: &mut PgConnection,
    message_id: i64,
    flagger_id: i64,
    reason: FlagReason,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, message_id, message)
         SELECT id, 'message_flagged', $2, $1, $3 FROM users
          WHERE site_role = 'admin' AND id <> $2",
    )
    .bind(message_id)
    .bind(flagger_id)
    .bind(reason.as_str())
    .execute(tx)
    .await
    .map(|_| ())
}

/// A flagged message in the admins' queue: who wrote it and why it was flagged, not its words.
#[derive(sqlx::FromRow)]
pub struct Open {
    pub message_id: i64,
    pub author_name: String,
    pub flag_count: i64,
    pub reasons: Vec<String>,
    pub first_flagged_at: OffsetDateTime,
}

/// How many flagged messages the queue shows at once, oldest first.
pub const QUEUE_PAGE: i64 = 100;

pub async fn queue(db: &PgPool) -> sqlx::Result<Vec<Open>> {
    sqlx::query_as(
        "SELECT f.message_id, u.display_name AS author_name, count(*) AS flag_count,
                array_agg(DISTINCT f.reason ORDER BY f.reason) AS reasons,
                min(f.created_at) AS first_flagged_at
           FROM message_flags f
           JOIN messages m ON m.id = f.message_id
           JOIN users u ON u.id = m.author_id
          WHERE f.resolved_at IS NULL
          GROUP BY f.message_id, u.display_name
          ORDER BY first_flagged_at, f.message_id
          LIMIT $1",
    )
    .bind(QUEUE_PAGE)
    .fetch_all(db)
    .await
}

/// How many messages wait for review, for the admin dashboard.
pub async fn open_count(db: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(DISTINCT message_id) FROM message_flags WHERE resolved_at IS NULL",
    )
    .fetch_one(db)
    .await
}

/// A message that has been flagged at least once, as its review page shows it.
#[derive(sqlx::FromRow)]
pub struct Flagged {
    pub id: i64,
    pub conversation_id: i64,
    pub title: String,
    pub author_username: String,
    pub author_name: String,
    pub hidden: bool,
    /// (username, display name) of every participant.
    pub participants: sqlx::types::Json<Vec<(String, String)>>,
}

pub async fn flagged(db: &PgPool, message_id: i64) -> sqlx::Result<Option<Flagged>> {
    sqlx::query_as(
        "SELECT m.id, m.conversation_id, c.title, u.username AS author_username,
                u.display_name AS author_name, m.hidden_at IS NOT NULL AS hidden,
                (SELECT json_agg(json_build_array(p.username, p.display_name) ORDER BY p.display_name)
                   FROM conversation_members cm JOIN users p ON p.id = cm.user_id
                  WHERE cm.conversation_id = c.id) AS participants
           FROM messages m
           JOIN conversations c ON c.id = m.conversation_id
           JOIN users u ON u.id = m.author_id
          WHERE m.id = $1 AND EXISTS (SELECT 1 FROM message_flags f WHERE f.message_id = m.id)",
    )
    .bind(message_id)
    .fetch_optional(db)
    .await
}

/// Messages around the flagged one, as an admin reads them.
#[derive(sqlx::FromRow)]
pub struct Around {
    pub id: i64,
    pub author_name: String,
    pub body_html: String,
    pub hidden: bool,
    pub created_at: OffsetDateTime,
}

/// How many messages before and after the flagged one its review page shows.
pub const CONTEXT: i64 = 3;

/// The flagged message with up to `CONTEXT` messages either side, oldest first.
pub async fn around(db: &PgPool, flagged: &Flagged) -> sqlx::Result<Vec<Around>> {
    sqlx::query_as(
        "(SELECT m.id, u.display_name AS author_name, m.body_html, m.hidden_at IS NOT NULL AS hidden,
                 m.created_at
            FROM messages m JOIN users u ON u.id = m.author_id
           WHERE m.conversation_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3)
         UNION ALL
         (SELECT m.id, u.display_name, m.body_html, m.hidden_at IS NOT NULL, m.created_at
            FROM messages m JOIN users u ON u.id = m.author_id
           WHERE m.conversation_id = $1 AND m.id >= $2 ORDER BY m.id LIMIT $3 + 1)
         ORDER BY id",
    )
    .bind(flagged.conversation_id)
    .bind(flagged.id)
    .bind(CONTEXT)
    .fetch_all(db)
    .await
}

/// One flag on the message, open or resolved.
#[derive(sqlx::FromRow)]
pub struct Flag {
    pub flagger_name: String,
    pub reason: String,
    pub note: String,
    pub created_at: OffsetDateTime,
    pub outcome: Option<String>,
}

pub async fn flags(db: &PgPool, message_id: i64) -> sqlx::Result<Vec<Flag>> {
    sqlx::query_as(
        "SELECT u.display_name AS flagger_name, f.reason, f.note, f.created_at, f.outcome
           FROM message_flags f JOIN users u ON u.id = f.flagger_id
          WHERE f.message_id = $1 ORDER BY f.id",
    )
    .bind(message_id)
    .fetch_all(db)
    .await
}

/// Resolves a message's open flags; returns who flagged it.
pub async fn resolve(
    tx: &mut PgConnection,
    message_id: i64,
    reviewer_id: i64,
    verdict: Verdict,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "UPDATE message_flags SET resolved_at = now(), resolved_by = $2, outcome = $3
          WHERE message_id = $1 AND resolved_at IS NULL RETURNING flagger_id",
    )
    .bind(message_id)
    .bind(reviewer_id)
    .bind(verdict.as_str())
    .fetch_all(tx)
    .await
}

pub async fn hide(tx: &mut PgConnection, message_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE messages SET hidden_at = coalesce(hidden_at, now()) WHERE id = $1")
        .bind(message_id)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Tells each flagger what the admins decided, pointing at the conversation (theirs).
pub async fn tell_flaggers(
    tx: &mut PgConnection,
    flaggers: &[i64],
    reviewer_id: i64,
    conversation_id: i64,
    message: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, conversation_id, message)
         SELECT DISTINCT unnest($1::bigint[]), 'flag_outcome', $2, $3, $4",
    )
    .bind(flaggers)
    .bind(reviewer_id)
    .bind(conversation_id)
    .bind(message)
    .execute(tx)
    .await
    .map(|_| ())
}
