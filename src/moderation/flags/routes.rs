//! Members flag posts; a post flagged by three members is hidden until reviewed; the domain's
//! facilitators agree or disagree at `/d/{slug}/flags`, and each flagger is told the outcome.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::queries;
use super::views::{FlagPage, FlagQueuePage};
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::fields::Slug;
use crate::forum::lookup::{moderated_domain, readable_thread_of_post};
use crate::forum::queries as forum;
use crate::moderation::fields::{FlagForm, FlagReason, Verdict};
use crate::moderation::log::queries::{record_in_domain, Action};
use crate::moderation::lookup::moderated_post;
use crate::moderation::posts::queries as posts;
use crate::web::path::PostId;
use crate::web::{flash_and_redirect, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/{id}/flag", get(flag_form).post(flag))
        .route("/p/{id}/flags/{verdict}", post(review))
        .route("/d/{slug}/flags", get(queue))
}

/// Flags from this many different members hide a post until a facilitator reviews it.
pub const AUTO_HIDE_FLAGS: i64 = 3;

/// A post this member may flag, and the page that asks why.
async fn flaggable_post(state: &AppState, id: PostId, member: &Member) -> Result<FlagPage> {
    let viewer = Some(&member.user);
    let thread = readable_thread_of_post(&state.db, id.0, viewer).await?;
    let (post, already_flagged) = tokio::try_join!(
        forum::post(&state.db, id.0),
        queries::is_open(&state.db, id.0, member.user.id)
    )?;
    let post = post.ok_or(AppError::NotFound)?.post;
    super::policy::may_flag(viewer, &thread, &post)?;
    let page = member.page.clone();
    Ok(FlagPage::for_post(page, &thread, &post, already_flagged))
}

async fn flag_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<FlagPage> {
    flaggable_post(&state, id, &member).await
}

async fn flag(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
    Form(form): Form<FlagForm>,
) -> Result<Response> {
    let page = flaggable_post(&state, id, &member).await?;
    let post_id = id.0;
    let (reason, note) = match form.check(&FlagReason::FOR_POSTS) {
        Ok(parsed) => parsed,
        Err(problem) => return Ok(page.with_problem(form, problem).answer()),
    };
    let mut tx = state.db.begin().await?;
    let added = queries::add(&mut tx, post_id, member.user.id, reason, note).await?;
    if added {
        queries::tell_facilitators(&mut tx, post_id, member.user.id, reason).await?;
    }
    // Enough members agree something is wrong: hide it now, a facilitator decides later.
    if posts::hide_if_flagged_by(&mut tx, post_id, AUTO_HIDE_FLAGS).await? {
        queries::tell_author_hidden(&mut tx, post_id).await?;
    }
    tx.commit().await?;
    let message = if added {
        "Thank you. The domain's facilitators will review the post; you will hear what they decide."
    } else {
        "You have already flagged this post; the facilitators will review it."
    };
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        message,
        &format!("/p/{post_id}"),
    )
    .await
}

/// agree: the post is hidden; disagree: the flags are cleared (and an automatic hide undone).
/// Either way each flagger is told.
async fn review(
    State(state): State<AppState>,
    member: Member,
    Path((id, verdict)): Path<(PostId, String)>,
) -> Result<Response> {
    let (post, thread) = moderated_post(&state, id.0, &member.user).await?;
    let verdict = Verdict::parse(&verdict).ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let flaggers = queries::resolve(&mut tx, post.id, member.user.id, verdict).await?;
    if flaggers.is_empty() {
        return Err(AppError::BadRequest("This post has no open flags.".into()));
    }
    let message = match verdict {
        Verdict::Agreed => {
            let reason = "Hidden after review of members' flags";
            posts::hide(&mut tx, post.id, Some(member.user.id), reason).await?;
            "The facilitators agreed with your flag: the post is hidden."
        }
        Verdict::Disagreed => {
            posts::restore_if_hidden_by_flags(&mut tx, post.id).await?;
            "The facilitators reviewed your flag and left the post up."
        }
    };
    queries::tell_flaggers(
        &mut tx,
        &flaggers,
        member.user.id,
        thread.id,
        post.id,
        message,
    )
    .await?;
    let what = Action::Flags(verdict);
    record_in_domain(
        &mut *tx,
        member.user.id,
        thread.domain_id,
        what,
        ("post", post.id),
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/d/{}/flags", thread.domain_slug)).into_response())
}

async fn queue(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<FlagQueuePage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let posts = queries::queue(&state.db, domain.id).await?;
    Ok(FlagQueuePage {
        page: member.page,
        domain,
        posts,
    })
}
