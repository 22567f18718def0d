//! Mail: every message is written to the `outbox` table in the transaction of the act that
//! causes it (`queries::enqueue`), and the `worker` in each server process sends what is due over
//! SMTP (lettre), retrying with backoff. Without `COMMONPLACE_SMTP_URL` nothing is sent, and
//! admins read the messages at `/admin/outbox` (`admin::outbox`), so the demo shows what would
//! go out. Each feature writes its own messages (a plain-text and an HTML template) and hands
//! them over as an `Outgoing`.

pub mod queries;
pub mod worker;

use crate::Config;

/// A message to send: what the templates rendered, and who it is for.
pub struct Outgoing {
    pub user_id: Option<i64>,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// For messages from a domain's discussions; account messages have none.
    pub list: Option<ListHeaders>,
}

/// What a message from a domain carries so that mail clients file and thread it: `List-Id`
/// (RFC 2919), `In-Reply-To` and `References` naming the thread's own message id (RFC 5322),
/// and `List-Unsubscribe` with `List-Unsubscribe-Post` for one click (RFC 8058).
pub struct ListHeaders {
    /// `"Name" <slug.mail-domain>`.
    pub list_id: String,
    /// `<thread-12@mail-domain>`: every message about one thread refers to it.
    pub thread_key: Option<String>,
    pub unsubscribe_url: String,
}

impl ListHeaders {
    pub fn new(
        config: &Config,
        domain_name: &str,
        domain_slug: &str,
        thread: Option<i64>,
        unsubscribe_url: String,
    ) -> ListHeaders {
        // A phrase in a header: no quotes, backslashes or line breaks inside it.
        let name: String = domain_name
            .chars()
            .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
            .collect();
        ListHeaders {
            list_id: format!("\"{name}\" <{domain_slug}.{}>", config.mail_domain()),
            thread_key: thread.map(|id| format!("<thread-{id}@{}>", config.mail_domain())),
            unsubscribe_url,
        }
    }

    /// A member's private conversations: one list for them all (a dot keeps its id apart from
    /// every domain's slug), each message threaded on its conversation.
    pub fn conversation(config: &Config, id: i64, unsubscribe_url: String) -> ListHeaders {
        let mail_domain = config.mail_domain();
        ListHeaders {
            list_id: format!("\"Private messages\" <messages.private.{mail_domain}>"),
            thread_key: Some(format!("<conversation-{id}@{mail_domain}>")),
            unsubscribe_url,
        }
    }
}

/// A fresh `Message-ID` on the site's mail domain.
fn new_message_id(config: &Config) -> String {
    format!("<{}@{}>", crate::web::random_hex(16), config.mail_domain())
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
