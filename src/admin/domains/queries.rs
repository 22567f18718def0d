//! SQL for the admins' domain pages: the list, creating, editing, archiving, facilitators.

use sqlx::{PgConnection, PgPool};

use crate::cultivate::fields::Charter;
use crate::forum::fields::{Slug, Visibility};

#[derive(sqlx::FromRow)]
pub struct DomainRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub visibility: String,
    pub member_count: i32,
    pub facilitators: Vec<String>,
}

const DOMAIN_ROW: &str = "
    SELECT d.id, d.slug, d.name, d.visibility, d.member_count,
           array(SELECT u.username FROM memberships m JOIN users u ON u.id = m.user_id
                  WHERE m.domain_id = d.id AND m.role = 'facilitator' ORDER BY u.username) AS facilitators
      FROM domains d WHERE d.archived_at IS NULL";

pub async fn domains(db: &PgPool) -> sqlx::Result<Vec<DomainRow>> {
    sqlx::query_as(&format!("{DOMAIN_ROW} ORDER BY d.name"))
        .fetch_all(db)
        .await
}

pub async fn domain(db: &PgPool, slug: &str) -> sqlx::Result<Option<DomainRow>> {
    sqlx::query_as(&format!("{DOMAIN_ROW} AND d.slug = $1"))
        .bind(slug)
        .fetch_optional(db)
        .await
}

pub struct NewDomain<'a> {
    pub slug: &'a Slug,
    pub name: &'a str,
    pub charter: &'a Charter,
    pub visibility: Visibility,
    pub created_by: Option<i64>,
}

/// Creates a domain; `None` when its slug is taken.
pub async fn create(db: &mut PgConnection, domain: NewDomain<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO domains (slug, name, charter_md, charter_html, practice_focus, audience, visibility, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (slug) DO NOTHING
         RETURNING id",
    )
    .bind(domain.slug.as_str())
    .bind(domain.name)
    .bind(&domain.charter.charter_md)
    .bind(crate::markdown::render(&domain.charter.charter_md))
    .bind(&domain.charter.practice_focus)
    .bind(&domain.charter.audience)
    .bind(domain.visibility.as_str())
    .bind(domain.created_by)
    .fetch_optional(db)
    .await
}

pub async fn update(
    db: &mut PgConnection,
    domain_id: i64,
    name: &str,
    visibility: Visibility,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE domains SET name = $2, visibility = $3 WHERE id = $1")
        .bind(domain_id)
        .bind(name)
        .bind(visibility.as_str())
        .execute(db)
        .await
        .map(|_| ())
}

/// Archiving hides a domain everywhere; its content is kept.
pub async fn archive(db: &mut PgConnection, domain_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE domains SET archived_at = now() WHERE id = $1")
        .bind(domain_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// An archived domain, for the list it can be restored from.
#[derive(sqlx::FromRow)]
pub struct ArchivedDomain {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub archived_at: time::OffsetDateTime,
}

pub async fn archived_domains(db: &PgPool) -> sqlx::Result<Vec<ArchivedDomain>> {
    sqlx::query_as(
        "SELECT id, slug, name, archived_at FROM domains
          WHERE archived_at IS NOT NULL ORDER BY archived_at DESC",
    )
    .fetch_all(db)
    .await
}

pub async fn archived_domain(db: &PgPool, slug: &str) -> sqlx::Result<Option<ArchivedDomain>> {
    sqlx::query_as(
        "SELECT id, slug, name, archived_at FROM domains
          WHERE archived_at IS NOT NULL AND slug = $1",
    )
    .bind(slug)
    .fetch_optional(db)
    .await
}

/// Brings an archived domain back as it was.
pub async fn restore(db: &mut PgConnection, domain_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE domains SET archived_at = NULL WHERE id = $1")
        .bind(domain_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// How much an archive hides: the domain's threads and repertoire entries.
pub async fn content_counts(db: &PgPool, domain_id: i64) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM threads WHERE domain_id = $1),
                (SELECT count(*) FROM repertoire_entries WHERE domain_id = $1)",
    )
    .bind(domain_id)
    .fetch_one(db)
    .await
}

pub async fn user_id(db: &PgPool, username: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
        .bind(username)
        .fetch_optional(db)
        .await
}

/// Makes a user a facilitator of the domain, joining them if need be.
pub async fn appoint(db: &mut PgConnection, domain_id: i64, user_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO memberships (domain_id, user_id, role) VALUES ($1, $2, 'facilitator')
         ON CONFLICT (domain_id, user_id) DO UPDATE SET role = 'facilitator'",
    )
    .bind(domain_id)
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Makes a facilitator an ordinary member again; returns their id if they were one.
pub async fn dismiss(
    db: &mut PgConnection,
    domain_id: i64,
    username: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE memberships SET role = 'member'
          WHERE domain_id = $1 AND role = 'facilitator' AND user_id = (SELECT id FROM users WHERE lower(username) = lower($2))
          RETURNING user_id",
    )
    .bind(domain_id)
    .bind(username)
    .fetch_optional(db)
    .await
}
