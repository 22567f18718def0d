//! A facilitator hides a single post (with a reason shown to its author) or restores it, and
//! reverts a post to one of its earlier versions.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::queries;
use super::views::HidePostPage;
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::queries::{self as forum, Saved};
use crate::moderation::fields::{hiding_reason, ModerateForm, ModerationAction};
use crate::moderation::log::queries::{record_in_domain, Action};
use crate::moderation::lookup::moderated_post;
use crate::web::path::PostId;
use crate::web::{flash_and_redirect, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/{id}/hide", get(hide_form))
        .route("/p/{id}/moderate", post(moderate))
        .route("/p/{id}/revert", post(revert))
}

/// Asks why before hiding a post; the form is sent to `moderate`.
async fn hide_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<HidePostPage> {
    let (post, thread) = moderated_post(&state, id.0, &member.user).await?;
    Ok(HidePostPage::asking(member.page, thread, post))
}

async fn moderate(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
    Form(form): Form<ModerateForm>,
) -> Result<Response> {
    let (post, thread) = moderated_post(&state, id.0, &member.user).await?;
    let action = ModerationAction::parse(&form.action)
        .filter(|a| matches!(a, ModerationAction::Hide | ModerationAction::Restore))
        .ok_or_else(|| AppError::BadRequest("Choose hide or restore.".into()))?;
    let reason = if action == ModerationAction::Hide {
        match hiding_reason(&form.reason) {
            Ok(reason) => reason,
            Err(problem) => {
                let mut page = HidePostPage::asking(member.page, thread, post);
                page.errors.add("reason", problem);
                page.reason = form.reason;
                return Ok(page.answer());
            }
        }
    } else {
        String::new()
    };
    let mut tx = state.db.begin().await?;
    if action == ModerationAction::Hide {
        queries::hide(&mut tx, post.id, Some(member.user.id), &reason).await?;
    } else {
        queries::restore(&mut tx, post.id).await?;
    }
    let what = Action::Post(action);
    record_in_domain(
        &mut *tx,
        member.user.id,
        thread.domain_id,
        what,
        ("post", post.id),
        &reason,
    )
    .await?;
    tx.commit().await?;
    let message = format!("Post {}.", action.past_tense());
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        message,
        &format!("/p/{}", post.id),
    )
    .await
}

#[derive(Deserialize)]
struct RevertForm {
    revision: i64,
    /// The post's version when the history page was opened.
    version: i32,
}

/// Makes an earlier version the post's text again, in the facilitator's name; the text it
/// replaces stays in the history like any other.
async fn revert(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
    Form(form): Form<RevertForm>,
) -> Result<Response> {
    let (post, thread) = moderated_post(&state, id.0, &member.user).await?;
    let history = format!("/p/{}/revisions", post.id);
    // Newest first: the one found at `at` is version `len - at`.
    let earlier = forum::revisions(&state.db, post.id).await?;
    let (at, chosen) = earlier
        .iter()
        .enumerate()
        .find(|(_, r)| r.id == form.revision)
        .ok_or(AppError::NotFound)?;
    let number = earlier.len() - at;
    let body = &chosen.body_md;
    let mut tx = state.db.begin().await?;
    let saved =
        forum::edit_post(&mut tx, post.id, form.version, body, member.user.id, None).await?;
    if saved == Saved::Stale {
        let message = "The post changed while you were reading its history; nothing was \
                       reverted. Look at the newest version, then choose again.";
        return flash_and_redirect(&member.session, FlashKind::Notice, message, &history).await;
    }
    record_in_domain(
        &mut *tx,
        member.user.id,
        thread.domain_id,
        Action::RevertPost,
        ("post", post.id),
        &format!("to version {number}"),
    )
    .await?;
    tx.commit().await?;
    let message = format!(
        "The post is back to version {number}; what it said before is kept in its history."
    );
    flash_and_redirect(&member.session, FlashKind::Success, message, &history).await
}
