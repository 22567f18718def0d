//! Live pages: a thread page shows new replies as they are posted, and the header's
//! notification count follows the member's notifications, over server-sent events (`/live`).
//! Pages work as before without JavaScript; the stream only says *that* something changed, and
//! the page then loads it through the ordinary, access-checked pages.
//!
//! Changes travel through PostgreSQL: triggers announce new posts and notification changes on
//! `commonplace_live` (migration `live.sql`). Each process holds one listening connection (the
//! same one that keeps the anonymous page cache in step, on `commonplace_pages`) and fans what
//! it hears out in memory to its open streams, so a reply posted through one process reaches
//! pages served by every other, and no stream ever holds a database connection of its own.

pub mod queries;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{broadcast, watch, Semaphore};

use crate::web::page_cache::{self, PageCache};

/// The channel the live triggers announce on.
pub const CHANNEL: &str = "commonplace_live";

/// Something that changed, as the triggers announce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// New posts, each with its thread.
    Posts(Vec<(i64, i64)>),
    /// These members' notifications changed (new ones, or read).
    Notified(Vec<i64>),
    /// So many members' notifications changed that they were not named.
    NotifiedMany,
    /// The listener was away: anything may have changed unheard.
    Missed,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    posts: Vec<(i64, i64)>,
    #[serde(default)]
    notified: Vec<i64>,
    #[serde(default)]
    notified_many: bool,
}

impl Change {
    /// Reads a trigger's payload; an unreadable one is treated as "anything may have changed".
    fn parse(payload: &str) -> Change {
        match serde_json::from_str::<Payload>(payload) {
            Ok(p) if !p.posts.is_empty() => Change::Posts(p.posts),
            Ok(p) if p.notified_many => Change::NotifiedMany,
            Ok(p) => Change::Notified(p.notified),
            Err(_) => Change::Missed,
        }
    }
}

/// The fan-out in one process: what the listener hears goes to every open stream, which keeps
/// what concerns its viewer.
pub struct Hub {
    changes: broadcast::Sender<Arc<Change>>,
    /// One per open stream; a stream that finds none left is answered "busy".
    slots: Arc<Semaphore>,
    max_streams: usize,
    closing: watch::Sender<bool>,
    heartbeat: Duration,
}

impl Hub {
    pub fn new(max_streams: usize, heartbeat: Duration) -> Hub {
        Hub {
            changes: broadcast::channel(1024).0,
            slots: Arc::new(Semaphore::new(max_streams)),
            max_streams,
            closing: watch::channel(false).0,
            heartbeat,
        }
    }

    fn publish(&self, change: Change) {
        // No receivers means no open streams: nothing to do.
        let _ = self.changes.send(Arc::new(change));
    }

    /// Streams open now, and how many may be.
    pub fn streams(&self) -> (usize, usize) {
        let open = self.max_streams - self.slots.available_permits();
        (open, self.max_streams)
    }

    /// Ends every open stream, for shutdown: the server can then finish its connections.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// Follows the database's announcements for as long as the process runs, on one connection:
/// writes empty the page cache (when it is in use), live changes go to the hub. While the
/// connection is down the cache is bypassed; once it is back, the streams are told that they
/// may have missed something.
pub fn listen(db: PgPool, pages: Option<Arc<PageCache>>, hub: Arc<Hub>) {
    tokio::spawn(async move {
        loop {
            if let Err(err) = follow(&db, pages.as_deref(), &hub).await {
                tracing::warn!(%err, "not listening for changes; retrying in 1 s");
            }
            if let Some(pages) = &pages {
                pages.set_listening(false);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn follow(db: &PgPool, pages: Option<&PageCache>, hub: &Hub) -> sqlx::Result<()> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen_all([page_cache::CHANNEL, CHANNEL]).await?;
    // What happened before LISTEN took effect was not heard.
    if let Some(pages) = pages {
        pages.set_listening(true);
    }
    hub.publish(Change::Missed);
    // `None` means the connection dropped and notifications may have been missed.
    while let Some(notification) = listener.try_recv().await? {
        if notification.channel() == CHANNEL {
            hub.publish(Change::parse(notification.payload()));
        } else if let Some(pages) = pages {
            pages.heard_write();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_as_changes() {
        assert_eq!(
            Change::parse(r#"{"posts":[[7,3],[8,3]]}"#),
            Change::Posts(vec![(7, 3), (8, 3)])
        );
        assert_eq!(
            Change::parse(r#"{"notified":[4,5]}"#),
            Change::Notified(vec![4, 5])
        );
        assert_eq!(
            Change::parse(r#"{"notified_many":true}"#),
            Change::NotifiedMany
        );
        assert_eq!(Change::parse("not json"), Change::Missed);
    }
}
