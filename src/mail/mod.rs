//! Mail: every message is written to the `outbox` table in the transaction of the act that
//! causes it (`queries::enqueue`), and the `worker` in each server process sends what is due over
//! SMTP (lettre), retrying with backoff. Without `COMMONPLACE_SMTP_URL` nothing is sent, and
//! admins read the messages at `/admin/outbox` (`admin::outbox`), so the demo shows what would
//! go out. Each feature writes its own messages (a plain-text and an HTML template) and hands
//! them over as an `Outgoing`.

pub mod queries;
pub mod worker;

use rand::RngCore;

use crate::Config;

/// A message to send: what the templates rendered, and who it is for.
pub struct Outgoing {
    pub user_id: Option<i64>,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// A fresh `Message-ID` on the site's mail domain.
fn new_message_id(config: &Config) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let unique: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{unique}@{}>", config.mail_domain())
}

/// Queues `message` in the caller's transaction, with a fresh `Message-ID`: it goes out only if
/// the act that writes it commits.
pub async fn send(
    tx: &mut sqlx::PgConnection,
    config: &Config,
    message: &Outgoing,
) -> sqlx::Result<i64> {
    queries::enqueue(tx, message, &new_message_id(config)).await
}
