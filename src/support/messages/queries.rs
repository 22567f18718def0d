//! The SQL of private conversations. Every read names the member, and returns nothing for a
//! conversation they do not take part in.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::forum::queries::Cursor;

/// Conversations a page of `/messages` shows.
pub const CONVERSATIONS_PER_PAGE: i64 = 30;
/// A conversation page shows its newest messages, up to this many.
pub const MESSAGES_SHOWN: i64 = 500;

#[derive(sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub title: String,
    pub last_posted_at: OffsetDateTime,
    pub message_count: i32,
    pub unread: i32,
    /// The other participants' names.
    pub others: Vec<String>,
}

/// A member's conversations, latest activity first, after `before`.
pub async fn list(db: &PgPool, user_id: i64, before: Option<Cursor>) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as(
        "SELECT c.id, c.title, c.last_posted_at, c.message_count,
                greatest(c.message_count - cm.last_read_number, 0) AS unread,
                array(SELECT u.display_name FROM conversation_members o JOIN users u ON u.id = o.user_id
                       WHERE o.conversation_id = c.id AND o.user_id <> $1
                       ORDER BY u.display_name LIMIT 10) AS others
           FROM conversation_members cm
           JOIN conversations c ON c.id = cm.conversation_id
          WHERE cm.user_id = $1
            AND ($2::timestamptz IS NULL OR (c.last_posted_at, c.id) < ($2, $3))
          ORDER BY c.last_posted_at DESC, c.id DESC
          LIMIT $4",
    )
    .bind(user_id)
    .bind(before.map(|c| c.at))
    .bind(before.map(|c| c.id))
    .bind(CONVERSATIONS_PER_PAGE)
    .fetch_all(db)
    .await
}

/// A conversation as its participant sees it.
#[derive(sqlx::FromRow)]
pub struct Conversation {
    pub id: i64,
    pub title: String,
    pub message_count: i32,
    /// How far this member had read before opening it.
    pub last_read_number: i32,
    /// (username, display name) of every participant.
    pub participants: sqlx::types::Json<Vec<(String, String)>>,
}

pub async fn conversation(
    db: &PgPool,
    id: i64,
    user_id: i64,
) -> sqlx::Result<Option<Conversation>> {
    sqlx::query_as(
        "SELECT c.id, c.title, c.message_count, cm.last_read_number,
                (SELECT json_agg(json_build_array(u.username, u.display_name) ORDER BY u.display_name)
                   FROM conversation_members o JOIN users u ON u.id = o.user_id
                  WHERE o.conversation_id = c.id) AS participants
           FROM conversations c
           JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $2
          WHERE c.id = $1",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

#[derive(sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub author_id: i64,
    pub author_username: String,
    pub author_name: String,
    /// Empty once the admins hid the message after a flag.
    pub body_html: String,
    pub hidden: bool,
    /// Whether the viewer has an open flag on it.
    pub flagged_by_viewer: bool,
    pub created_at: OffsetDateTime,
}

/// The newest `MESSAGES_SHOWN` messages of a conversation, oldest first, as `viewer` sees them.
pub async fn messages(
    db: &PgPool,
    conversation_id: i64,
    viewer: i64,
) -> sqlx::Result<Vec<Message>> {
    sqlx::query_as(
        "SELECT * FROM (
             SELECT m.id, m.author_id, u.username AS author_username,
                    u.display_name AS author_name,
                    CASE WHEN m.hidden_at IS NULL THEN m.body_html ELSE '' END AS body_html,
                    m.hidden_at IS NOT NULL AS hidden,
                    EXISTS (SELECT 1 FROM message_flags f
                             WHERE f.message_id = m.id AND f.flagger_id = $3
                               AND f.resolved_at IS NULL) AS flagged_by_viewer,
                    m.created_at
               FROM messages m JOIN users u ON u.id = m.author_id
              WHERE m.conversation_id = $1
              ORDER BY m.id DESC LIMIT $2
         ) newest ORDER BY id",
    )
    .bind(conversation_id)
    .bind(MESSAGES_SHOWN)
    .bind(viewer)
    .fetch_all(db)
    .await
}

/// Opening a conversation reads it to its last message, and reads the notifications of its
/// messages (so none of them is mailed afterwards).
pub async fn mark_read(
    db: &PgPool,
    conversation_id: i64,
    user_id: i64,
    number: i32,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH messages_read AS (
             UPDATE notifications SET read_at = now()
              WHERE user_id = $2 AND conversation_id = $1 AND kind = 'message' AND read_at IS NULL
         )
         UPDATE conversation_members SET last_read_number = $3
          WHERE conversation_id = $1 AND user_id = $2 AND last_read_number < $3",
    )
    .bind(conversation_id)
    .bind(user_id)
    .bind(number)
    .execute(db)
    .await
    .map(|_| ())
}

/// Members by username, in any letter case: (id, username, suspended now) of those found.
pub async fn members_named(
    db: &PgPool,
    names: &[String],
) -> sqlx::Result<Vec<(i64, String, bool)>> {
    sqlx::query_as(
        "SELECT id, username, coalesce(suspended_until > now(), false) FROM users
          WHERE lower(username) = ANY (SELECT lower(n) FROM unnest($1::text[]) AS n)",
    )
    .bind(names)
    .fetch_all(db)
    .await
}

/// Every member of a domain, for a facilitator's (`sender`'s) message to them all: but the
/// sender, those banned from it, and those who blocked the sender.
pub async fn domain_members(db: &PgPool, domain_id: i64, sender: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT m.user_id FROM memberships m
          WHERE m.domain_id = $1 AND m.user_id <> $2
            AND (m.banned_until IS NULL OR m.banned_until <= now())
            AND NOT EXISTS (SELECT 1 FROM message_blocks b
                             WHERE b.blocker_id = m.user_id AND b.blocked_id = $2)",
    )
    .bind(domain_id)
    .bind(sender)
    .fetch_all(db)
    .await
}

/// The usernames among `recipients` who have blocked `sender`.
pub async fn blocking(db: &PgPool, sender: i64, recipients: &[i64]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.username FROM message_blocks b JOIN users u ON u.id = b.blocker_id
          WHERE b.blocked_id = $1 AND b.blocker_id = ANY ($2) ORDER BY u.username",
    )
    .bind(sender)
    .bind(recipients)
    .fetch_all(db)
    .await
}

/// Starts a conversation between `author` and `recipients` with its first message.
pub async fn start(
    tx: &mut PgConnection,
    author: i64,
    recipients: &[i64],
    title: &str,
    body_md: &str,
) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (title, created_by) VALUES ($1, $2) RETURNING id",
    )
    .bind(title)
    .bind(author)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO conversation_members (conversation_id, user_id)
         SELECT $1, m FROM unnest($2::bigint[]) AS m
         UNION SELECT $1, $3
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(recipients)
    .bind(author)
    .execute(&mut *tx)
    .await?;
    add_message(tx, id, author, body_md).await?;
    Ok(id)
}

/// Adds a message: counted on the conversation, read by its author, and told to every other
/// participant who has not blocked the author.
pub async fn add_message(
    tx: &mut PgConnection,
    conversation_id: i64,
    author: i64,
    body_md: &str,
) -> sqlx::Result<()> {
    let message_id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, author_id, body_md, body_html)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(conversation_id)
    .bind(author)
    .bind(body_md)
    .bind(crate::markdown::render(body_md))
    .fetch_one(&mut *tx)
    .await?;
    let count: i32 = sqlx::query_scalar(
        "UPDATE conversations SET message_count = message_count + 1, last_posted_at = now()
          WHERE id = $1 RETURNING message_count",
    )
    .bind(conversation_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE conversation_members SET last_read_number = $3
          WHERE conversation_id = $1 AND user_id = $2",
    )
    .bind(conversation_id)
    .bind(author)
    .bind(count)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, conversation_id, message_id)
         SELECT cm.user_id, 'message', $2, $1, $3 FROM conversation_members cm
          WHERE cm.conversation_id = $1 AND cm.user_id <> $2
            AND NOT EXISTS (SELECT 1 FROM message_blocks b
                             WHERE b.blocker_id = cm.user_id AND b.blocked_id = $2)",
    )
    .bind(conversation_id)
    .bind(author)
    .bind(message_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether a member takes part in a conversation (for a reply).
pub async fn takes_part(db: &PgPool, conversation_id: i64, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM conversation_members
                         WHERE conversation_id = $1 AND user_id = $2)",
    )
    .bind(conversation_id)
    .bind(user_id)
    .fetch_one(db)
    .await
}

pub async fn block(db: &PgPool, blocker: i64, blocked: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO message_blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(blocker)
        .bind(blocked)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn unblock(db: &PgPool, blocker: i64, blocked: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM message_blocks WHERE blocker_id = $1 AND blocked_id = $2")
        .bind(blocker)
        .bind(blocked)
        .execute(db)
        .await
        .map(|_| ())
}

/// (username, display name) of the members this member has blocked.
pub async fn blocked_by(db: &PgPool, blocker: i64) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT u.username, u.display_name FROM message_blocks b JOIN users u ON u.id = b.blocked_id
          WHERE b.blocker_id = $1 ORDER BY u.display_name",
    )
    .bind(blocker)
    .fetch_all(db)
    .await
}
