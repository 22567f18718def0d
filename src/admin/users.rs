//! `/admin/users`: finding accounts, suspending and un-suspending them, and handing out
//! password-reset links.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::Admin;
use crate::error::{AppError, Result};
use crate::moderation::audit::{self, Act};
use crate::moderation::routes::ban_end;
use crate::web::{flash, FlashKind, PageContext};
use crate::AppState;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/admin/users", get(find))
        .route("/admin/users/{username}", get(show))
        .route("/admin/users/{username}/suspend", post(suspend))
        .route("/admin/users/{username}/unsuspend", post(unsuspend))
        .route("/admin/users/{username}/reset-link", post(reset_link))
}

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

#[derive(Deserialize, Default)]
#[serde(default)]
struct FindQuery {
    q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub page: PageContext,
    pub q: String,
    pub accounts: Vec<Account>,
}

const ACCOUNT: &str =
    "SELECT id, username, display_name, email, site_role, suspended_until, created_at FROM users";

async fn find(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(query): Query<FindQuery>,
) -> Result<UsersPage> {
    let q: String = query
        .q
        .chars()
        .take(100)
        .collect::<String>()
        .trim()
        .to_string();
    let accounts = sqlx::query_as(&format!(
        "{ACCOUNT} WHERE $1 = '' OR username ILIKE '%' || $2 || '%' OR display_name ILIKE '%' || $2 || '%' OR email ILIKE '%' || $2 || '%'
          ORDER BY username LIMIT 100"
    ))
    .bind(&q)
    .bind(q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
    .fetch_all(&state.db)
    .await?;
    Ok(UsersPage {
        page: admin.page,
        q,
        accounts,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub page: PageContext,
    pub account: Account,
    pub reset_link: Option<String>,
}

async fn account(state: &AppState, username: &str) -> Result<Account> {
    sqlx::query_as(&format!("{ACCOUNT} WHERE lower(username) = lower($1)"))
        .bind(username)
        .fetch_optional(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

async fn show(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(username): Path<String>,
) -> Result<UserPage> {
    let account = account(&state, &username).await?;
    Ok(UserPage {
        page: admin.page,
        account,
        reset_link: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SuspendForm {
    days: String,
    reason: String,
}

/// Suspends an account; its sessions stop working on their next request, and it cannot log in.
async fn suspend(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(username): Path<String>,
    Form(form): Form<SuspendForm>,
) -> Result<Response> {
    let account = account(&state, &username).await?;
    if account.id == admin.user.id {
        return Err(AppError::Forbidden("You cannot suspend yourself."));
    }
    let until = ban_end(&form.days)?;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE users SET suspended_until = $2 WHERE id = $1")
        .bind(account.id)
        .bind(until)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: None,
            action: "suspend account",
            target_type: "user",
            target_id: Some(account.id),
            reason: form.reason.trim(),
        },
    )
    .await?;
    tx.commit().await?;
    flash(
        &admin.session,
        FlashKind::Notice,
        format!("{} is suspended.", account.username),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/users/{}", account.username)).into_response())
}

async fn unsuspend(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(username): Path<String>,
) -> Result<Response> {
    let account = account(&state, &username).await?;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE users SET suspended_until = NULL WHERE id = $1")
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: None,
            action: "lift suspension",
            target_type: "user",
            target_id: Some(account.id),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    flash(
        &admin.session,
        FlashKind::Notice,
        format!("{}'s suspension is lifted.", account.username),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/users/{}", account.username)).into_response())
}

/// Makes a one-time link (valid three days) for the admin to pass on. It is shown once, on this
/// page, and only its hash is stored.
async fn reset_link(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(username): Path<String>,
) -> Result<UserPage> {
    let account = account(&state, &username).await?;
    let token = crate::auth::csrf::new_token();
    let mut tx = state.db.begin().await?;
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_by, expires_at) VALUES ($1, $2, $3, now() + interval '3 days')")
        .bind(crate::auth::reset::hash_token(&token))
        .bind(account.id)
        .bind(admin.user.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: None,
            action: "password reset link",
            target_type: "user",
            target_id: Some(account.id),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    let link = format!("{}/reset/{token}", state.config.base_url);
    Ok(UserPage {
        page: admin.page,
        account,
        reset_link: Some(link),
    })
}
