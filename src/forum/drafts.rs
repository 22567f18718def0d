//! Drafts, as Discourse keeps them: the composer's text saved on the server — when the member
//! previews, and with JavaScript every few seconds and when they leave the page — one per member
//! and form (a thread's reply, a domain's new thread), put back in the form when they return,
//! and deleted when the post is made. `/me/drafts` lists them.

use std::sync::LazyLock;

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;

use crate::error::{AppError, Result};

/// Which form a draft belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The reply to a thread.
    Reply(i64),
    /// A new thread in a domain.
    NewThread(i64),
}

impl Slot {
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Slot::Reply(thread) => (Some(thread), None),
            Slot::NewThread(domain) => (None, Some(domain)),
        }
    }
}

/// What a draft keeps of the form.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct Draft {
    pub title: String,
    pub kind: String,
    pub body: String,
    pub updated_at: Option<OffsetDateTime>,
}

/// The longest texts a draft keeps: those of a post, with room for a title typed too long.
const MOST_BODY: usize = 100_000;
const MOST_TITLE: usize = 1_000;

/// Keeps the form's text as the member's draft for `slot`; an empty form discards it. Nothing is
/// kept once the form's submission `key` has made its post: a save still on its way when the
/// member pressed Post must not bring the draft back.
pub async fn save(db: &PgPool, user_id: i64, slot: Slot, draft: &Draft, key: &str) -> Result<()> {
    if draft.title.trim().is_empty() && draft.body.trim().is_empty() {
        return discard(db, user_id, slot).await.map_err(AppError::from);
    }
    if draft.body.chars().count() > MOST_BODY || draft.title.chars().count() > MOST_TITLE {
        return Err(AppError::BadRequest(
            "This text is too long to keep as a draft (100 000 characters at most).".into(),
        ));
    }
    let kind = if draft.kind == "question" {
        "question"
    } else {
        ""
    };
    let (thread_id, domain_id) = slot.ids();
    let conflict = match slot {
        Slot::Reply(_) => "(user_id, thread_id) WHERE thread_id IS NOT NULL",
        Slot::NewThread(_) => "(user_id, domain_id) WHERE domain_id IS NOT NULL",
    };
    sqlx::query(&format!(
        "INSERT INTO drafts (user_id, thread_id, domain_id, title, kind, body)
         SELECT $1, $2, $3, $4, $5, $6
          WHERE NOT EXISTS (SELECT 1 FROM submissions s WHERE s.user_id = $1 AND s.key = $7)
         ON CONFLICT {conflict} DO UPDATE
            SET title = EXCLUDED.title, kind = EXCLUDED.kind, body = EXCLUDED.body,
                updated_at = now()"
    ))
    .bind(user_id)
    .bind(thread_id)
    .bind(domain_id)
    .bind(&draft.title)
    .bind(kind)
    .bind(&draft.body)
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn load(db: &PgPool, user_id: i64, slot: Slot) -> sqlx::Result<Option<Draft>> {
    let (thread_id, domain_id) = slot.ids();
    sqlx::query_as(
        "SELECT title, kind, body, updated_at FROM drafts
          WHERE user_id = $1 AND thread_id IS NOT DISTINCT FROM $2
            AND domain_id IS NOT DISTINCT FROM $3",
    )
    .bind(user_id)
    .bind(thread_id)
    .bind(domain_id)
    .fetch_optional(db)
    .await
}

/// Deletes the member's draft for `slot`: posted, emptied, or discarded from `/me/drafts`.
pub async fn discard(db: impl PgExecutor<'_>, user_id: i64, slot: Slot) -> sqlx::Result<()> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| discard_sql("$1", "$2", "$3"));
    let (thread_id, domain_id) = slot.ids();
    sqlx::query(&STATEMENT)
        .bind(user_id)
        .bind(thread_id)
        .bind(domain_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// `discard`'s statement over SQL expressions for the member and the slot's thread and domain
/// (one of them NULL), so a page can run it beside what it writes.
pub fn discard_sql(user: &str, thread: &str, domain: &str) -> String {
    format!(
        "DELETE FROM drafts WHERE user_id = {user} AND thread_id IS NOT DISTINCT FROM {thread}
            AND domain_id IS NOT DISTINCT FROM {domain}"
    )
}

/// A draft on `/me/drafts`, with where it continues.
#[derive(sqlx::FromRow)]
pub struct Listed {
    pub thread_id: Option<i64>,
    pub domain_slug: String,
    /// The thread replied to, or the domain a thread is started in.
    pub place: String,
    pub title: String,
    pub body: String,
    pub updated_at: OffsetDateTime,
}

impl Listed {
    /// Where the member picks the draft up again.
    pub fn href(&self) -> String {
        match self.thread_id {
            Some(thread) => format!("/t/{thread}/reply"),
            None => format!("/d/{}/new", self.domain_slug),
        }
    }

    pub fn excerpt(&self) -> String {
        crate::markdown::plain_excerpt(&self.body, 160)
    }
}

/// The member's drafts, newest first, in places they may still read.
pub async fn list(db: &PgPool, user_id: i64) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as(
        "SELECT dr.thread_id, d.slug AS domain_slug, coalesce(t.title, d.name) AS place,
                dr.title, dr.body, dr.updated_at
           FROM drafts dr
           LEFT JOIN threads t ON t.id = dr.thread_id
           JOIN readable_domains($1) d ON d.id = coalesce(t.domain_id, dr.domain_id)
          WHERE dr.user_id = $1 AND (t.id IS NULL OR NOT t.hidden)
          ORDER BY dr.updated_at DESC
          LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}
