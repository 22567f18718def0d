//! SQL for notification mail: members' choices, claiming what is due, unsubscribe tokens.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};

use super::views::DIGEST;
use super::{Delivery, MailKind};
use crate::support::queries::Notification;

/// A notification about to be mailed, with what the message needs.
#[derive(sqlx::FromRow)]
pub struct DueNotification {
    #[sqlx(flatten)]
    pub notification: Notification,
    pub user_id: i64,
    pub email: String,
    pub recipient_name: String,
    /// Where it happened: a domain, or `None` for a private conversation.
    pub domain_slug: Option<String>,
    pub domain_name: Option<String>,
    pub thread_id: Option<i64>,
    pub conversation_id: Option<i64>,
    /// The post's or message's text, while it is still shown.
    pub post_body: Option<String>,
}

/// The kinds whose default is `delivery`, as the SQL below compares them.
fn kinds_by_default(delivery: Delivery) -> Vec<&'static str> {
    MailKind::ALL
        .into_iter()
        .filter(|k| k.default_delivery() == delivery)
        .map(MailKind::as_str)
        .collect()
}

/// Unread, not yet mailed notifications whose member wants `delivery` for their kind, still
/// about something the member may read (a domain they can read, a thread not hidden, a post not
/// deleted or hidden; a conversation they still take part in, from someone they have not
/// blocked since, a message not hidden), for members with a confirmed address and no
/// suspension. `$1`: the kinds whose default is `delivery`; `$2`: `delivery`.
const DUE: &str = "
    SELECT n.id, n.kind, n.message, a.display_name AS actor_name,
           coalesce(t.title, e.title, c.title) AS thread_title,
           n.created_at, n.read_at, n.user_id, u.email, u.display_name AS recipient_name,
           d.slug AS domain_slug, d.name AS domain_name, n.thread_id, c.id AS conversation_id,
           coalesce(p.body_md, m.body_md) AS post_body
      FROM notifications n
      JOIN users u ON u.id = n.user_id
      LEFT JOIN users a ON a.id = n.actor_id
      LEFT JOIN threads t ON t.id = n.thread_id
      LEFT JOIN repertoire_entries e ON e.id = n.entry_id
      LEFT JOIN posts p ON p.id = n.post_id AND p.deleted_at IS NULL AND NOT p.hidden
      LEFT JOIN domains d ON d.id = coalesce(t.domain_id, e.domain_id)
      LEFT JOIN conversations c ON c.id = n.conversation_id
           AND EXISTS (SELECT 1 FROM conversation_members cm
                        WHERE cm.conversation_id = c.id AND cm.user_id = n.user_id)
           AND NOT EXISTS (SELECT 1 FROM message_blocks b
                            WHERE b.blocker_id = n.user_id AND b.blocked_id = n.actor_id)
      LEFT JOIN messages m ON m.id = n.message_id AND m.hidden_at IS NULL
      LEFT JOIN mail_preferences mp ON mp.user_id = n.user_id AND mp.kind = n.kind
     WHERE n.mailed_at IS NULL AND n.read_at IS NULL
       AND coalesce(mp.delivery, CASE WHEN n.kind = ANY ($1) THEN $2 ELSE 'never' END) = $2
       AND u.email_confirmed_at IS NOT NULL
       AND (u.suspended_until IS NULL OR u.suspended_until <= now())
       AND CASE WHEN n.conversation_id IS NOT NULL THEN c.id IS NOT NULL
                ELSE d.id IS NOT NULL AND domain_readable(d.id, n.user_id) END
       AND (t.id IS NULL OR NOT t.hidden)
       AND (n.post_id IS NULL OR p.id IS NOT NULL)
       AND (n.message_id IS NULL OR m.id IS NOT NULL)";

/// Claims the notifications to mail at once: unread for at least `wait`, for a member not seen
/// on the site since the notification arrived, at most a day old (older ones wait for the member's next
/// visit). Locked until the caller's transaction ends, so another process skips them.
pub async fn claim_due(
    tx: &mut PgConnection,
    wait: Duration,
) -> sqlx::Result<Vec<DueNotification>> {
    sqlx::query_as(&format!(
        "{DUE}
           AND n.created_at <= now() - make_interval(secs => $3)
           AND n.created_at > now() - interval '1 day'
           -- Presence is written at most once a minute: seen within the minute before the
           -- notification, or since, is on the site.
           AND NOT EXISTS (SELECT 1 FROM member_presence m
                            WHERE m.user_id = n.user_id
                              AND m.seen_at >= n.created_at - interval '1 minute')
         ORDER BY n.id
         LIMIT 200
         FOR UPDATE OF n SKIP LOCKED"
    ))
    .bind(kinds_by_default(Delivery::Immediately))
    .bind(Delivery::Immediately.as_str())
    .bind(wait.as_secs_f64())
    .fetch_all(tx)
    .await
}

/// Claims the notifications of the last two days that members gather in a daily summary,
/// grouped by member.
pub async fn claim_daily(tx: &mut PgConnection) -> sqlx::Result<Vec<DueNotification>> {
    sqlx::query_as(&format!(
        "{DUE}
           AND n.created_at > now() - interval '2 days'
         ORDER BY n.user_id, n.id
         LIMIT 5000
         FOR UPDATE OF n SKIP LOCKED"
    ))
    .bind(kinds_by_default(Delivery::Daily))
    .bind(Delivery::Daily.as_str())
    .fetch_all(tx)
    .await
}

pub async fn mark_mailed(tx: &mut PgConnection, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query("UPDATE notifications SET mailed_at = now() WHERE id = ANY ($1)")
        .bind(ids)
        .execute(tx)
        .await
        .map(|_| ())
}

/// The secret in the member's unsubscribe links, made the first time it is needed. Once made
/// it is only read: rewriting the member's row for every message would also empty the
/// anonymous page cache each time (`users` announces its writes).
pub async fn mail_token(tx: &mut PgConnection, user_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar(
        "WITH made AS (
             UPDATE users SET mail_token = $2 WHERE id = $1 AND mail_token IS NULL
             RETURNING mail_token
         )
         SELECT mail_token FROM made
         UNION ALL
         SELECT mail_token FROM users WHERE id = $1 AND mail_token IS NOT NULL",
    )
    .bind(user_id)
    .bind(crate::web::random_hex(24))
    .fetch_one(tx)
    .await
}

/// The member's choice for every kind, defaults filled in.
pub async fn preferences(db: &PgPool, user_id: i64) -> sqlx::Result<Vec<(MailKind, Delivery)>> {
    let chosen: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, delivery FROM mail_preferences WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(db)
            .await?;
    Ok(MailKind::ALL
        .into_iter()
        .map(|kind| {
            let delivery = chosen
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .and_then(|(_, d)| Delivery::parse(d))
                .unwrap_or(kind.default_delivery());
            (kind, delivery)
        })
        .collect())
}

pub async fn save_preferences(
    db: &PgPool,
    user_id: i64,
    choices: &[(MailKind, Delivery)],
) -> sqlx::Result<()> {
    let kinds: Vec<&str> = choices.iter().map(|(k, _)| k.as_str()).collect();
    let deliveries: Vec<&str> = choices.iter().map(|(_, d)| d.as_str()).collect();
    sqlx::query(
        "INSERT INTO mail_preferences (user_id, kind, delivery)
         SELECT $1, kind, delivery FROM unnest($2::text[], $3::text[]) AS c (kind, delivery)
         ON CONFLICT (user_id, kind) DO UPDATE SET delivery = EXCLUDED.delivery",
    )
    .bind(user_id)
    .bind(kinds)
    .bind(deliveries)
    .execute(db)
    .await
    .map(|_| ())
}

/// The digest's two choices as stored (a `mail_preferences` row of kind `DIGEST`; no row is
/// `WEEKLY`).
pub const WEEKLY: &str = "weekly";
pub const NEVER: &str = "never";

/// Whether the member wants the weekly digest (the default) rather than none.
pub async fn wants_digest(db: &PgPool, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM mail_preferences
                             WHERE user_id = $1 AND kind = $2 AND delivery = $3)",
    )
    .bind(user_id)
    .bind(DIGEST)
    .bind(NEVER)
    .fetch_one(db)
    .await
}

pub async fn save_digest(db: &PgPool, user_id: i64, wanted: bool) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mail_preferences (user_id, kind, delivery) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, kind) DO UPDATE SET delivery = EXCLUDED.delivery",
    )
    .bind(user_id)
    .bind(DIGEST)
    .bind(if wanted { WEEKLY } else { NEVER })
    .execute(db)
    .await
    .map(|_| ())
}

/// The member whose unsubscribe links carry `token`: (id, display name).
pub async fn holder_of(db: &PgPool, token: &str) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT id, display_name FROM users WHERE mail_token = $1")
        .bind(token)
        .fetch_optional(db)
        .await
}
