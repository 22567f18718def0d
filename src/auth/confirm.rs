//! Confirming a new account's address. Registering answers "check your mail" whatever the
//! address, so the form tells nobody who has an account: a new address gets a link that
//! confirms it (`/confirm/{token}`, a day, used once, only its hash stored), and an address that
//! already has an account gets a note saying so instead. Logging in to an unconfirmed account
//! sends a fresh link.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sqlx::PgConnection;

use super::reset::{hash_token, LinkGonePage};
use super::session::log_in;
use super::views::{AccountMail, AccountMessage};
use super::Visitor;
use crate::error::Result;
use crate::web::{flash_and_redirect, FlashKind};
use crate::AppState;

/// Who a message about an account goes to.
pub struct Recipient<'a> {
    pub id: i64,
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
}

/// Queues the confirmation link for a new account, in the caller's transaction.
pub async fn send_link(tx: &mut PgConnection, state: &AppState, to: &Recipient<'_>) -> Result<()> {
    let token = super::csrf::new_token();
    super::queries::add_confirmation(tx, &hash_token(&token), to.id).await?;
    let link = format!("{}/confirm/{token}", state.config.base_url);
    queue(tx, state, to, AccountMessage::Confirm, link).await
}

/// Queues the note to an address someone tried to register again.
pub async fn send_already_registered(
    tx: &mut PgConnection,
    state: &AppState,
    to: &Recipient<'_>,
) -> Result<()> {
    let link = format!("{}/login", state.config.base_url);
    queue(tx, state, to, AccountMessage::AlreadyRegistered, link).await
}

async fn queue(
    tx: &mut PgConnection,
    state: &AppState,
    to: &Recipient<'_>,
    message: AccountMessage,
    link: String,
) -> Result<()> {
    let mail = AccountMail {
        name: to.display_name.to_string(),
        username: to.username.to_string(),
        link,
        site: state.config.base_url.clone(),
    };
    let outgoing = mail.outgoing(message, Some(to.id), to.email)?;
    crate::mail::send(tx, &state.config, &outgoing).await?;
    Ok(())
}

/// `/confirm/{token}`: confirms the address and signs the new member in.
pub async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response> {
    let Some((user_id, epoch, name)) =
        super::queries::confirm(&state.db, &hash_token(&token)).await?
    else {
        let page = LinkGonePage { page: visitor.page };
        return Ok((StatusCode::NOT_FOUND, page).into_response());
    };
    log_in(&visitor.session, user_id, epoch).await?;
    flash_and_redirect(
        &visitor.session,
        FlashKind::Success,
        format!("Welcome to Commonplace, {name}. Join a domain to start taking part."),
        "/d",
    )
    .await
}
