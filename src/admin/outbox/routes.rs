//! `/admin/outbox`: every message the site sent (or, without SMTP configured, would have sent),
//! read as the member would.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::views::{MessagePage, OutboxPage};
use crate::auth::Admin;
use crate::error::{AppError, Result};
use crate::forum::fields::parse_id;
use crate::mail::queries::{self, OUTBOX_PAGE};
use crate::web::path::MessageId;
use crate::web::{Before, Path, Query};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(outbox))
        .route("/admin/outbox/{id}", get(message))
}

async fn outbox(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(query): Query<Before>,
) -> Result<OutboxPage> {
    let before = query.before.as_deref().map(parse_id).transpose()?;
    let messages = queries::newest(&state.db, before).await?;
    let older = (messages.len() as i64 == OUTBOX_PAGE)
        .then(|| messages.last().map(|m| m.id))
        .flatten();
    Ok(OutboxPage {
        page: admin.page,
        messages,
        older,
        smtp_configured: state.config.smtp_url.is_some(),
    })
}

async fn message(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<MessageId>,
) -> Result<MessagePage> {
    let message = queries::message(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(MessagePage {
        page: admin.page,
        message,
        smtp_configured: state.config.smtp_url.is_some(),
    })
}
