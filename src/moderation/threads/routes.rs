//! A facilitator's tools for a thread: pin, lock, hide and restore, move to another domain they
//! facilitate, change the title.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

use super::queries;
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::fields::Title;
use crate::forum::queries as forum;
use crate::moderation::fields::{reason_for_hiding, ModerateForm, ModerationAction};
use crate::moderation::log::queries::{record_in_domain, Action};
use crate::moderation::lookup::moderated_thread;
use crate::web::path::ThreadId;
use crate::web::{flash_and_redirect, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/{id}/moderate", post(moderate))
        .route("/t/{id}/move", post(move_thread))
        .route("/t/{id}/title", post(retitle))
}

/// pin, unpin, lock, unlock, hide (with a reason), restore.
async fn moderate(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Form(form): Form<ModerateForm>,
) -> Result<Response> {
    let thread = moderated_thread(&state, id.0, &member.user).await?;
    let action = ModerationAction::parse(&form.action).ok_or_else(|| {
        AppError::BadRequest("Choose pin, unpin, lock, unlock, hide or restore.".into())
    })?;
    let reason = match action {
        ModerationAction::Hide => reason_for_hiding(&form.reason)?,
        ModerationAction::Lock => form.reason.trim().to_string(),
        _ => String::new(),
    };
    let mut tx = state.db.begin().await?;
    queries::apply(&mut tx, thread.id, action, &reason).await?;
    let what = Action::Thread(action);
    record_in_domain(
        &mut *tx,
        member.user.id,
        thread.domain_id,
        what,
        ("thread", thread.id),
        &reason,
    )
    .await?;
    tx.commit().await?;
    let message = format!("Thread {}.", action.past_tense());
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        message,
        &format!("/t/{}", thread.id),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    domain: String,
}

/// Moves a thread to another domain the member also facilitates.
async fn move_thread(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Form(form): Form<MoveForm>,
) -> Result<Response> {
    let thread = moderated_thread(&state, id.0, &member.user).await?;
    let target = forum::domain_by_slug(&state.db, form.domain.trim(), Some(&member.user))
        .await?
        .filter(|d| d.access(Some(&member.user)).can_moderate())
        .ok_or(AppError::Forbidden(
            "You can only move a thread to another domain you facilitate.",
        ))?;
    if target.id == thread.domain_id {
        return Err(AppError::BadRequest(
            "The thread is already in that domain.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    queries::move_to(&mut tx, thread.id, target.id).await?;
    let reason = format!("from {} to {}", thread.domain_slug, target.slug);
    for domain_id in [thread.domain_id, target.id] {
        record_in_domain(
            &mut *tx,
            member.user.id,
            domain_id,
            Action::MoveThread,
            ("thread", thread.id),
            &reason,
        )
        .await?;
    }
    tx.commit().await?;
    let message = format!("Thread moved to {}.", target.name);
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        message,
        &format!("/t/{}", thread.id),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TitleForm {
    title: String,
}

async fn retitle(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Form(form): Form<TitleForm>,
) -> Result<Response> {
    let thread = moderated_thread(&state, id.0, &member.user).await?;
    let title = Title::parse(&form.title).map_err(|why| AppError::BadRequest(why.into()))?;
    let mut tx = state.db.begin().await?;
    forum::retitle_thread(&mut *tx, thread.id, title.as_str()).await?;
    let was = format!("was: {}", thread.title);
    record_in_domain(
        &mut *tx,
        member.user.id,
        thread.domain_id,
        Action::EditThreadTitle,
        ("thread", thread.id),
        &was,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/t/{}", thread.id)).into_response())
}
