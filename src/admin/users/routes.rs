//! `/admin/users`: finding accounts, suspending and un-suspending them, and handing out
//! password-reset links.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::queries::{self, Account};
use super::views::{UserPage, UsersPage};
use crate::auth::Admin;
use crate::error::{AppError, Result};
use crate::moderation::fields::ban_end;
use crate::moderation::log::queries::{record_site, Action};
use crate::web::{flash_and_redirect, FlashKind, Form, Query};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(find))
        .route("/admin/users/{username}", get(show))
        .route("/admin/users/{username}/suspend", post(suspend))
        .route("/admin/users/{username}/unsuspend", post(unsuspend))
        .route("/admin/users/{username}/reset-link", post(reset_link))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FindQuery {
    q: String,
}

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
    let accounts = queries::find(&state.db, &q).await?;
    Ok(UsersPage {
        page: admin.page,
        q,
        accounts,
    })
}

async fn account(state: &AppState, username: &str) -> Result<Account> {
    queries::account(&state.db, username)
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
    let message = format!("{} is suspended.", account.username);
    let change = (Some(until), Action::SuspendAccount, form.reason.trim());
    set_suspension(&state, &admin, &account, change, message).await
}

async fn unsuspend(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(username): Path<String>,
) -> Result<Response> {
    let account = account(&state, &username).await?;
    let message = format!("{}'s suspension is lifted.", account.username);
    let change = (None, Action::LiftSuspension, "");
    set_suspension(&state, &admin, &account, change, message).await
}

/// Writes a suspension (or its end) with its audit record, and goes back to the account.
async fn set_suspension(
    state: &AppState,
    admin: &crate::auth::Member,
    account: &Account,
    (until, action, reason): (Option<time::OffsetDateTime>, Action, &str),
    message: String,
) -> Result<Response> {
    let mut tx = state.db.begin().await?;
    queries::set_suspension(&mut tx, account.id, until).await?;
    record_site(
        &mut *tx,
        admin.user.id,
        action,
        ("user", Some(account.id)),
        reason,
    )
    .await?;
    tx.commit().await?;
    let to = format!("/admin/users/{}", account.username);
    flash_and_redirect(&admin.session, FlashKind::Notice, message, &to).await
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
    let hash = crate::auth::reset::hash_token(&token);
    crate::auth::queries::add_reset_link(&mut tx, &hash, account.id, Some(admin.user.id), 72)
        .await?;
    let target = ("user", Some(account.id));
    record_site(
        &mut *tx,
        admin.user.id,
        Action::PasswordResetLink,
        target,
        "",
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
