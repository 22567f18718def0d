//! A facilitator hides a single post (with a reason shown to its author) or restores it.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use super::queries;
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::moderation::fields::{reason_for_hiding, ModerateForm, ModerationAction};
use crate::moderation::log::queries::{record_in_domain, Action};
use crate::moderation::lookup::moderated_post;
use crate::web::path::PostId;
use crate::web::{flash_and_redirect, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/p/{id}/moderate", post(moderate))
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
    let mut tx = state.db.begin().await?;
    let reason = if action == ModerationAction::Hide {
        let reason = reason_for_hiding(&form.reason)?;
        queries::hide(&mut tx, post.id, Some(member.user.id), &reason).await?;
        reason
    } else {
        queries::restore(&mut tx, post.id).await?;
        String::new()
    };
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
