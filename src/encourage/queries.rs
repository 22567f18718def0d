//! Encourage's SQL: profiles with contributions counted over what the viewer may read,
//! reactions, and the domain spotlight.

use sqlx::PgPool;
use time::OffsetDateTime;

use super::fields::ReactionKind;

#[derive(sqlx::FromRow)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio_md: String,
    pub bio_html: String,
    pub expertise: Vec<String>,
    pub created_at: OffsetDateTime,
    /// Their picture (`uploads`), if they chose one.
    pub avatar_upload_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub struct Contribution {
    pub post_id: i64,
    pub thread_title: String,
    pub domain_name: String,
    pub is_opening: bool,
    pub created_at: OffsetDateTime,
}

/// A member's contribution at a glance, counted over what the viewer can read.
#[derive(sqlx::FromRow, Default)]
pub struct Tally {
    pub threads: i64,
    pub replies: i64,
    pub accepted_answers: i64,
    pub entries_curated: i64,
    pub reactions_received: i64,
    pub practice_reports: i64,
}

pub async fn profile(db: &PgPool, username: &str) -> sqlx::Result<Option<Profile>> {
    sqlx::query_as(
        "SELECT id, username, display_name, bio_md, bio_html, expertise, created_at,
                avatar_upload_id
           FROM users WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(db)
    .await
}

/// The domains a member belongs to that the viewer may read: (slug, name, role).
pub async fn domains_of(
    db: &PgPool,
    user_id: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<(String, String, String)>> {
    sqlx::query_as(
        "SELECT d.slug, d.name, m.role FROM memberships m
           JOIN readable_domains($2) d ON d.id = m.domain_id
          WHERE m.user_id = $1
          ORDER BY d.name",
    )
    .bind(user_id)
    .bind(viewer)
    .fetch_all(db)
    .await
}

/// A member's 20 latest posts the viewer may read.
pub async fn contributions(
    db: &PgPool,
    user_id: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<Contribution>> {
    sqlx::query_as(
        "SELECT p.id AS post_id, t.title AS thread_title, d.name AS domain_name,
                p.number = 1 AS is_opening,
                p.created_at
           FROM listed_posts($2) p
           JOIN threads t ON t.id = p.thread_id
           JOIN domains d ON d.id = t.domain_id
          WHERE p.author_id = $1
          ORDER BY p.created_at DESC, p.id DESC
          LIMIT 20",
    )
    .bind(user_id)
    .bind(viewer)
    .fetch_all(db)
    .await
}

/// A member's contribution at a glance, counted over what the viewer may read: sums of the
/// per-domain counters `member_stats` keeps on write, over the readable domains.
pub async fn tally(db: &PgPool, user_id: i64, viewer: Option<i64>) -> sqlx::Result<Tally> {
    sqlx::query_as(
        "WITH readable AS (SELECT id FROM readable_domains($2)),
         stats AS (SELECT * FROM member_stats s WHERE s.user_id = $1 AND s.domain_id IN (SELECT id FROM readable))
         SELECT (SELECT coalesce(sum(threads), 0)::bigint FROM stats) AS threads,
                (SELECT coalesce(sum(replies), 0)::bigint FROM stats) AS replies,
                (SELECT coalesce(sum(accepted_answers), 0)::bigint FROM stats) AS accepted_answers,
                (SELECT count(*) FROM repertoire_entries e WHERE e.curated_by = $1 AND e.domain_id IN (SELECT id FROM readable)) AS entries_curated,
                (SELECT coalesce(sum(reactions_received), 0)::bigint FROM stats) AS reactions_received,
                (SELECT coalesce(sum(practice_reports), 0)::bigint FROM stats) AS practice_reports",
    )
    .bind(user_id)
    .bind(viewer)
    .fetch_one(db)
    .await
}

/// (display name, bio as written, expertise) for the profile form.
pub async fn profile_form(
    db: &PgPool,
    user_id: i64,
) -> sqlx::Result<(String, String, Vec<String>, Option<i64>)> {
    sqlx::query_as(
        "SELECT display_name, bio_md, expertise, avatar_upload_id FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(db)
    .await
}

pub async fn save_profile(
    db: &PgPool,
    user_id: i64,
    display: &str,
    bio: &str,
    tags: &[String],
) -> crate::error::Result<()> {
    let (bio_html, _) = crate::forum::queries::render_with_mentions(db, bio).await?;
    sqlx::query("UPDATE users SET display_name = $2, bio_md = $3, bio_html = $4, expertise = $5 WHERE id = $1")
        .bind(user_id)
        .bind(display)
        .bind(bio)
        .bind(bio_html)
        .bind(tags)
        .execute(db)
        .await?;
    Ok(())
}

/// Adds the reaction, or takes it back if it was there; returns whether it is there now and
/// the post's count of that kind. One statement, so one commit: taking back, adding and
/// reading the count were three, each flushed to disk on its own. The count is the post's as
/// the statement began (its trigger runs after), with this member's change added; two presses
/// of one member racing each other may answer a count one short until the page is read again.
pub async fn toggle_reaction(
    db: &PgPool,
    post_id: i64,
    user_id: i64,
    kind: ReactionKind,
) -> sqlx::Result<(bool, i32)> {
    // The column name comes from the enum, never from the request.
    sqlx::query_as(&format!(
        "WITH removed AS (
             DELETE FROM reactions WHERE post_id = $1 AND user_id = $2 AND kind = $3 RETURNING 1
         ),
         added AS (
             INSERT INTO reactions (post_id, user_id, kind)
             SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT FROM removed)
             ON CONFLICT DO NOTHING RETURNING 1
         )
         SELECT NOT EXISTS (SELECT FROM removed),
                p.{}_count + (SELECT count(*) FROM added)::integer
                           - (SELECT count(*) FROM removed)::integer
           FROM posts p WHERE p.id = $1",
        kind.as_str()
    ))
    .bind(post_id)
    .bind(user_id)
    .bind(kind.as_str())
    .fetch_one(db)
    .await
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub struct Featured {
    pub id: i64,
    pub post_id: Option<i64>,
    pub entry_id: Option<i64>,
    pub title: String,
    pub reason: String,
}

impl Featured {
    pub fn href(&self) -> String {
        match (self.post_id, self.entry_id) {
            (Some(post), _) => format!("/p/{post}"),
            (None, Some(entry)) => format!("/r/{entry}"),
            _ => "/".into(),
        }
    }
}

/// The five newest featured contributions still visible in the domain whose id is the SQL
/// expression `domain_id`, as a JSON array, for a page that loads them with the domain. A
/// featured post whose thread has moved to another domain (perhaps a private one) is no longer
/// shown here: the spotlight speaks only for its own domain.
pub fn featured_as_json(domain_id: &str) -> String {
    format!(
        "(SELECT coalesce(json_agg(featured ORDER BY featured.created_at DESC), '[]') FROM (
             SELECT s.id, s.post_id, s.entry_id, coalesce(e.title, t.title) AS title, s.reason,
                    s.created_at
               FROM spotlights s
               LEFT JOIN repertoire_entries e ON e.id = s.entry_id
               LEFT JOIN posts p ON p.id = s.post_id
               LEFT JOIN threads t ON t.id = p.thread_id
              WHERE s.domain_id = {domain_id}
                AND (p.id IS NULL OR (p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
                                      AND t.domain_id = s.domain_id))
              ORDER BY s.created_at DESC LIMIT 5) featured)"
    )
}

pub async fn feature(
    db: &PgPool,
    domain_id: i64,
    post_id: Option<i64>,
    entry_id: Option<i64>,
    reason: &str,
    featured_by: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO spotlights (domain_id, post_id, entry_id, reason, featured_by) VALUES ($1, $2, $3, $4, $5)")
        .bind(domain_id)
        .bind(post_id)
        .bind(entry_id)
        .bind(reason)
        .bind(featured_by)
        .execute(db)
        .await
        .map(|_| ())
}

/// The domain (its id) a spotlight item belongs to; the caller checks the facilitator and reads
/// the slug in one go (`facilitated_slug`).
pub async fn spotlight_domain(db: &PgPool, spotlight_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT domain_id FROM spotlights WHERE id = $1")
        .bind(spotlight_id)
        .fetch_optional(db)
        .await
}

pub async fn unfeature(db: &PgPool, spotlight_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM spotlights WHERE id = $1")
        .bind(spotlight_id)
        .execute(db)
        .await
        .map(|_| ())
}
