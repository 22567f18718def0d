//! A domain's members as its facilitators see them, and removing, banning and un-banning.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
pub struct MemberRow {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub is_admin: bool,
    pub joined_at: OffsetDateTime,
    pub banned_until: Option<OffsetDateTime>,
    pub ban_reason: Option<String>,
}

impl MemberRow {
    pub fn is_banned(&self) -> bool {
        self.banned_until
            .is_some_and(|until| until > OffsetDateTime::now_utc())
    }

    pub fn ban_ends(&self) -> String {
        match self.banned_until {
            Some(until) if until.year() >= 9999 => "for good".into(),
            Some(until) => format!("until {}", until.date()),
            None => String::new(),
        }
    }
}

pub async fn members(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<MemberRow>> {
    sqlx::query_as(
        "SELECT u.username, u.display_name, m.role, u.site_role = 'admin' AS is_admin, m.joined_at, m.banned_until, m.ban_reason
           FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.domain_id = $1 ORDER BY m.role DESC, u.display_name LIMIT 1000",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
}

/// A member of the domain by username: (user id, role in the domain, is a site admin).
pub async fn member(
    db: &PgPool,
    domain_id: i64,
    username: &str,
) -> sqlx::Result<Option<(i64, String, bool)>> {
    sqlx::query_as(
        "SELECT u.id, m.role, u.site_role = 'admin' FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.domain_id = $1 AND lower(u.username) = lower($2)",
    )
    .bind(domain_id)
    .bind(username)
    .fetch_optional(db)
    .await
}

/// Removes a member, unless they are banned: the ban lives on the membership, and removing it
/// would let them rejoin and post at once. `false` when the member stays, banned.
pub async fn remove(db: &mut PgConnection, domain_id: i64, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query(
        "DELETE FROM memberships
          WHERE domain_id = $1 AND user_id = $2 AND NOT coalesce(banned_until > now(), false)",
    )
    .bind(domain_id)
    .bind(user_id)
    .execute(db)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Bans until `until`, or lifts the ban with `None`.
pub async fn set_ban(
    db: &mut PgConnection,
    domain_id: i64,
    user_id: i64,
    until: Option<OffsetDateTime>,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE memberships SET banned_until = $3, ban_reason = CASE WHEN $3 IS NULL THEN NULL ELSE $4 END
          WHERE domain_id = $1 AND user_id = $2",
    )
    .bind(domain_id)
    .bind(user_id)
    .bind(until)
    .bind(reason)
    .execute(db)
    .await
    .map(|_| ())
}
