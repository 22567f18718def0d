//! `/reset/{token}`: setting a new password from a one-time link, sent by mail (`forgot`) or
//! made by an admin.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::fields::NewPassword;
use super::session::ensure_csrf;
use super::Visitor;
use crate::error::Result;
use crate::web::{flash_and_redirect, FlashKind, Form, PageContext};
use crate::AppState;

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset.html")]
pub struct ResetPage {
    pub page: PageContext,
    pub token: String,
    pub username: String,
    pub error: Option<String>,
}

/// What an unknown, expired or used link shows: why, and where to get a new one.
#[derive(Template, WebTemplate)]
#[template(path = "auth/link_gone.html")]
pub struct LinkGonePage {
    pub page: PageContext,
}

fn link_gone(page: PageContext) -> Response {
    (StatusCode::NOT_FOUND, LinkGonePage { page }).into_response()
}

/// The account (id, username) a live token resets, if it is one.
async fn account_for(state: &AppState, token: &str) -> Result<Option<(i64, String)>> {
    Ok(super::queries::reset_account(&state.db, &hash_token(token)).await?)
}

pub async fn form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response> {
    let Some((_, username)) = account_for(&state, &token).await? else {
        return Ok(link_gone(visitor.page));
    };
    let mut page = visitor.page;
    page.csrf = ensure_csrf(&visitor.session).await?;
    Ok(ResetPage {
        page,
        token,
        username,
        error: None,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    password: String,
}

pub async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response> {
    let Some((user_id, username)) = account_for(&state, &token).await? else {
        return Ok(link_gone(visitor.page));
    };
    let password = match NewPassword::parse(&form.password, &username) {
        Ok(password) => password,
        Err(problem) => {
            let page = ResetPage {
                page: visitor.page,
                token,
                username,
                error: Some(problem.into()),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let hash = super::password::hash(password.expose().to_string()).await?;
    if !super::queries::use_reset(&state.db, &hash_token(&token), user_id, &hash).await? {
        return Ok(link_gone(visitor.page));
    }
    flash_and_redirect(
        &visitor.session,
        FlashKind::Success,
        "Your new password is set. Log in with it.",
        "/login",
    )
    .await
}
