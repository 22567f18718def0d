//! Watching levels, as Discourse has them, on a thread, a tag and a domain: watching (told of
//! every new post), tracking (unread posts counted; the default), normal (no counts; told only
//! when mentioned) and muted (never told; gone from the member's lists). A thread's own level
//! wins, then watching for its author, then its tags' (the most attentive, if it has several),
//! then its domain's: the one SQL definition is `effective_watch_level`, which notifications
//! and lists both use.

use serde::Deserialize;
use sqlx::PgPool;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Watching,
    Tracking,
    Normal,
    Muted,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Watching,
        Level::Tracking,
        Level::Normal,
        Level::Muted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Watching => "watching",
            Level::Tracking => "tracking",
            Level::Normal => "normal",
            Level::Muted => "muted",
        }
    }

    pub fn parse(raw: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Watching => "Watching",
            Level::Tracking => "Tracking",
            Level::Normal => "Normal",
            Level::Muted => "Muted",
        }
    }

    /// What the level does, for a thread (`in_domain` false) or for a domain's threads.
    pub fn explained(self, in_domain: bool) -> &'static str {
        match (self, in_domain) {
            (Level::Watching, false) => "told of every reply",
            (Level::Watching, true) => "told of every new thread and reply",
            (Level::Tracking, _) => "unread replies counted; told when mentioned",
            (Level::Normal, _) => "told only when mentioned",
            (Level::Muted, false) => "never told; left out of your lists",
            (Level::Muted, true) => "never told; its threads left out of your lists",
        }
    }
}

pub async fn set_on_thread(
    db: &PgPool,
    user_id: i64,
    thread_id: i64,
    level: Level,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO thread_watches (user_id, thread_id, level) VALUES ($1, $2, $3)
         ON CONFLICT (thread_id, user_id) DO UPDATE SET level = EXCLUDED.level",
    )
    .bind(user_id)
    .bind(thread_id)
    .bind(level.as_str())
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn set_on_domain(
    db: &PgPool,
    user_id: i64,
    domain_id: i64,
    level: Level,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO domain_watches (user_id, domain_id, level) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, domain_id) DO UPDATE SET level = EXCLUDED.level",
    )
    .bind(user_id)
    .bind(domain_id)
    .bind(level.as_str())
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn set_on_tag(db: &PgPool, user_id: i64, tag: &str, level: Level) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tag_watches (user_id, tag, level) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, tag) DO UPDATE SET level = EXCLUDED.level",
    )
    .bind(user_id)
    .bind(tag)
    .bind(level.as_str())
    .execute(db)
    .await
    .map(|_| ())
}

/// The member's level on a tag, if they chose one.
pub async fn on_tag(db: &PgPool, user_id: i64, tag: &str) -> sqlx::Result<Option<Level>> {
    let level: Option<String> =
        sqlx::query_scalar("SELECT level FROM tag_watches WHERE user_id = $1 AND tag = $2")
            .bind(user_id)
            .bind(tag)
            .fetch_optional(db)
            .await?;
    Ok(level.as_deref().and_then(Level::parse))
}

/// Every tag the member set a level on, by name: (tag, level).
pub async fn tags_of(db: &PgPool, user_id: i64) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT tag, level FROM tag_watches WHERE user_id = $1 ORDER BY tag")
        .bind(user_id)
        .fetch_all(db)
        .await
}

/// Replying tracks a thread, as Discourse does, for a member whose domain is set to normal:
/// their own replies' threads keep counting what is new. It never lowers a level.
///
/// The statement over SQL expressions for the member and the thread (no row where it is NULL),
/// run in the statement that writes a reply (`pages::queries::post_reply`).
pub fn replied_sql(user: &str, thread: &str) -> String {
    format!(
        "INSERT INTO thread_watches (user_id, thread_id, level)
         SELECT {user}, t.id, 'tracking' FROM threads t
           JOIN domain_watches dw ON dw.domain_id = t.domain_id AND dw.user_id = {user}
          WHERE t.id = {thread} AND dw.level = 'normal' AND t.author_id <> {user}
         ON CONFLICT (thread_id, user_id) DO NOTHING"
    )
}
