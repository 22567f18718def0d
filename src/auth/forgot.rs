//! `/forgot`: a member who lost their password asks for a link by email. The answer is the same
//! whether or not the name or address has an account, so the form tells nobody who is a member.
//! The link works once, for an hour; only its hash is stored, and using it ends the account's
//! other sessions (`reset`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::rate_limit::{self, ClientIp, Limit};
use super::session::ensure_csrf;
use super::views::{AccountMail, AccountMessage};
use super::{queries, Visitor};
use crate::error::{AppError, Result};
use crate::web::{Form, PageContext};
use crate::AppState;

/// How long a link asked for by email works.
const VALID_HOURS: i32 = 1;

#[derive(Template, WebTemplate)]
#[template(path = "auth/forgot.html")]
pub struct ForgotPage {
    pub page: PageContext,
    pub login: String,
    pub error: Option<&'static str>,
    /// After a request: the same words whoever asked.
    pub sent: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    login: String,
}

pub async fn form(visitor: Visitor) -> Result<ForgotPage> {
    let mut page = visitor.page;
    page.csrf = ensure_csrf(&visitor.session).await?;
    Ok(ForgotPage {
        page,
        login: String::new(),
        error: None,
        sent: false,
    })
}

pub async fn send(
    State(state): State<AppState>,
    visitor: Visitor,
    ip: ClientIp,
    Form(form): Form<ForgotForm>,
) -> Result<Response> {
    let login = form.login.trim().to_string();
    let again = |error: &'static str, status: StatusCode| {
        let page = ForgotPage {
            page: visitor.page.clone(),
            login: login.clone(),
            error: Some(error),
            sent: false,
        };
        (status, page).into_response()
    };
    if login.is_empty() || login.chars().count() > 254 {
        return Ok(again(
            "Enter the username or email address of your account.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    // Counted by what was typed, so a refusal says nothing about whether the account exists.
    let hits = [
        (Limit::ResetAddress, ip.0.to_string()),
        (Limit::ResetAccount, login.to_lowercase()),
    ];
    match rate_limit::spend(&state.db, &state.config, &hits).await {
        Ok(_) => {}
        Err(AppError::TooManyRequests) => {
            return Ok(again(
                "Several links were asked for this account or from your address in the last \
                 few minutes. Use the newest one that arrived, or try again in fifteen minutes.",
                StatusCode::TOO_MANY_REQUESTS,
            ))
        }
        Err(other) => return Err(other),
    }
    if let Some(account) = queries::forgot_account(&state.db, &login).await? {
        send_link(&state, &account).await?;
    }
    let page = ForgotPage {
        page: visitor.page,
        login,
        error: None,
        sent: true,
    };
    Ok(page.into_response())
}

/// Makes a link and queues the message carrying it, in one transaction.
async fn send_link(state: &AppState, account: &queries::ForgotAccount) -> Result<()> {
    let token = super::csrf::new_token();
    let mut tx = state.db.begin().await?;
    queries::add_reset_link(
        &mut tx,
        &super::reset::hash_token(&token),
        account.id,
        None,
        VALID_HOURS,
    )
    .await?;
    let mail = AccountMail {
        name: account.display_name.clone(),
        username: account.username.clone(),
        link: format!("{}/reset/{token}", state.config.base_url),
        site: state.config.base_url.clone(),
    };
    let outgoing = mail.outgoing(AccountMessage::Reset, Some(account.id), &account.email)?;
    crate::mail::send(&mut tx, &state.config, &outgoing).await?;
    tx.commit().await?;
    Ok(())
}
