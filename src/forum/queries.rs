//! SQL for domains and thread lists. Every list is one query; counts come from counters kept on
//! write; thread lists walk `threads_domain_latest_idx` by keyset.

use sqlx::PgPool;
use time::OffsetDateTime;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct DomainSummary {
    pub slug: String,
    pub name: String,
    pub charter_md: String,
    pub visibility: String,
    pub member_count: i32,
    pub thread_count: i32,
    pub last_activity_at: Option<OffsetDateTime>,
    pub is_member: bool,
}

/// Domains this viewer may see: every public one, and private ones they belong to.
pub async fn visible_domains(db: &PgPool, viewer: Option<i64>) -> sqlx::Result<Vec<DomainSummary>> {
    sqlx::query_as(
        "SELECT d.slug, d.name, d.charter_md, d.visibility, d.member_count, d.thread_count,
                d.last_activity_at, m.user_id IS NOT NULL AS is_member
           FROM domains d
           LEFT JOIN memberships m ON m.domain_id = d.id AND m.user_id = $1
          WHERE d.archived_at IS NULL AND (d.visibility = 'public' OR m.user_id IS NOT NULL)
          ORDER BY d.last_activity_at DESC NULLS LAST, d.name",
    )
    .bind(viewer)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Domain {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub charter_html: String,
    pub practice_focus: String,
    pub audience: String,
    pub visibility: String,
    pub member_count: i32,
    pub thread_count: i32,
    /// `member` or `facilitator` for the viewer, if they belong.
    pub viewer_role: Option<String>,
}

/// A domain by slug, or `None` if it does not exist *or* the viewer may not see it: a private
/// domain is indistinguishable from a missing one.
pub async fn visible_domain(
    db: &PgPool,
    slug: &str,
    viewer: Option<i64>,
) -> sqlx::Result<Option<Domain>> {
    sqlx::query_as(
        "SELECT d.id, d.slug, d.name, d.charter_html, d.practice_focus, d.audience, d.visibility,
                d.member_count, d.thread_count, m.role AS viewer_role
           FROM domains d
           LEFT JOIN memberships m ON m.domain_id = d.id AND m.user_id = $2
          WHERE d.slug = $1 AND d.archived_at IS NULL
            AND (d.visibility = 'public' OR m.user_id IS NOT NULL)",
    )
    .bind(slug)
    .bind(viewer)
    .fetch_optional(db)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ThreadSummary {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub pinned: bool,
    pub locked: bool,
    pub solved: bool,
    pub reply_count: i32,
    pub last_posted_at: OffsetDateTime,
    pub author_username: String,
    pub author_name: String,
    pub domain_slug: String,
    pub domain_name: String,
}

/// Where a page of a thread list starts: just after this (last_posted_at, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub at: OffsetDateTime,
    pub id: i64,
}

impl Cursor {
    /// `<microseconds since 1970>_<id>`: opaque to members, stable in links.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.unix_timestamp_nanos() / 1000, self.id)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (micros, id) = raw.split_once('_')?;
        let micros: i128 = micros.parse().ok()?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1000)?).ok()?;
        Some(Cursor {
            at,
            id: id.parse().ok()?,
        })
    }
}

pub const THREADS_PER_PAGE: i64 = 30;

const THREAD_SUMMARY: &str = "
    SELECT t.id, t.title, t.kind, t.pinned, t.locked, t.accepted_post_id IS NOT NULL AS solved,
           t.reply_count, t.last_posted_at, u.username AS author_username,
           u.display_name AS author_name, d.slug AS domain_slug, d.name AS domain_name
      FROM threads t
      JOIN users u ON u.id = t.author_id
      JOIN domains d ON d.id = t.domain_id";

/// The latest unpinned threads of a domain, newest activity first, one page after `before`.
/// Hidden threads are left out unless the viewer facilitates the domain.
pub async fn latest_threads(
    db: &PgPool,
    domain_id: i64,
    before: Option<Cursor>,
    include_hidden: bool,
) -> sqlx::Result<Vec<ThreadSummary>> {
    sqlx::query_as(&format!(
        "{THREAD_SUMMARY}
          WHERE t.domain_id = $1 AND NOT t.pinned AND (NOT t.hidden OR $4)
            AND ($2::timestamptz IS NULL OR (t.last_posted_at, t.id) < ($2, $3))
          ORDER BY t.last_posted_at DESC, t.id DESC
          LIMIT {THREADS_PER_PAGE}"
    ))
    .bind(domain_id)
    .bind(before.map(|c| c.at))
    .bind(before.map(|c| c.id))
    .bind(include_hidden)
    .fetch_all(db)
    .await
}

pub async fn pinned_threads(
    db: &PgPool,
    domain_id: i64,
    include_hidden: bool,
) -> sqlx::Result<Vec<ThreadSummary>> {
    sqlx::query_as(&format!(
        "{THREAD_SUMMARY}
          WHERE t.domain_id = $1 AND t.pinned AND (NOT t.hidden OR $2)
          ORDER BY t.last_posted_at DESC, t.id DESC"
    ))
    .bind(domain_id)
    .bind(include_hidden)
    .fetch_all(db)
    .await
}

/// Recent threads across the domains a member belongs to, for their home page.
pub async fn recent_threads_for_member(
    db: &PgPool,
    user_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ThreadSummary>> {
    sqlx::query_as(&format!(
        "{THREAD_SUMMARY}
          JOIN memberships m ON m.domain_id = t.domain_id AND m.user_id = $1
          WHERE NOT t.hidden AND d.archived_at IS NULL
          ORDER BY t.last_posted_at DESC, t.id DESC
          LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let cursor = Cursor {
            at: time::macros::datetime!(2026-11-22 10:00:00.123456 UTC),
            id: 42,
        };
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::parse("abc"), None);
        assert_eq!(Cursor::parse("1_"), None);
        assert_eq!(Cursor::parse("99999999999999999999999999999_1"), None);
    }
}
