//! Accounts as admins see them: finding, suspending, and one-time reset links.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

#[derive(sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub site_role: String,
    pub suspended_until: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl Account {
    pub fn suspension(&self) -> Option<String> {
        match self.suspended_until {
            Some(until) if until > OffsetDateTime::now_utc() && until.year() >= 9999 => {
                Some("suspended for good".into())
            }
            Some(until) if until > OffsetDateTime::now_utc() => {
                Some(format!("suspended until {}", until.date()))
            }
            _ => None,
        }
    }
}

const ACCOUNT: &str =
    "SELECT id, username, display_name, email, site_role, suspended_until, created_at FROM users";

/// Up to 100 accounts whose username, name or email contains `q` (all of them for an empty `q`).
pub async fn find(db: &PgPool, q: &str) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as(&format!(
        "{ACCOUNT} WHERE $1 = '' OR username ILIKE '%' || $2 || '%' OR display_name ILIKE '%' || $2 || '%' OR email ILIKE '%' || $2 || '%'
          ORDER BY username LIMIT 100"
    ))
    .bind(q)
    .bind(q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
    .fetch_all(db)
    .await
}

pub async fn account(db: &PgPool, username: &str) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(&format!("{ACCOUNT} WHERE lower(username) = lower($1)"))
        .bind(username)
        .fetch_optional(db)
        .await
}

/// Suspends until `until`, or lifts the suspension with `None`.
pub async fn set_suspension(
    db: &mut PgConnection,
    user_id: i64,
    until: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET suspended_until = $2 WHERE id = $1")
        .bind(user_id)
        .bind(until)
        .execute(db)
        .await
        .map(|_| ())
}
