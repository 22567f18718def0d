//! Flagging a private message, and the admins' queue, review page and verdict.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::queries;
use super::views::{QueuePage, ReviewPage};
use crate::auth::{Admin, Member};
use crate::error::{AppError, Result};
use crate::forum::fields::parse_id;
use crate::moderation::fields::{FlagForm, FlagReason, Verdict};
use crate::moderation::flags::views::FlagPage;
use crate::moderation::log::queries::{record_site, Action};
use crate::support::policy::may_flag_message;
use crate::web::path::{ConversationId, PrivateMessageId};
use crate::web::{flash_and_redirect, FlashKind, Form, Path, Query};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/{id}/flag", get(flag_form).post(flag))
        .route("/admin/message-flags", get(queue))
        .route("/admin/message-flags/{id}", get(review))
        .route("/admin/message-flags/{id}/{verdict}", post(decide))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MessageFlagForm {
    /// The message's id, within the conversation of the path.
    message: String,
    #[serde(flatten)]
    flag: FlagForm,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WhichMessage {
    message: String,
}

/// A message of this conversation the member may flag (its id), and the page that asks why.
async fn flaggable_message(
    state: &AppState,
    conversation: ConversationId,
    message: &str,
    member: &Member,
) -> Result<(i64, FlagPage)> {
    let message_id = parse_id(message)?;
    let message = queries::flaggable(&state.db, conversation.0, message_id, member.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    may_flag_message(&member.user, message.author_id, message.hidden)?;
    Ok((
        message.id,
        FlagPage::for_message(member.page.clone(), &message),
    ))
}

async fn flag_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ConversationId>,
    Query(which): Query<WhichMessage>,
) -> Result<FlagPage> {
    Ok(flaggable_message(&state, id, &which.message, &member)
        .await?
        .1)
}

async fn flag(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ConversationId>,
    Form(form): Form<MessageFlagForm>,
) -> Result<Response> {
    let (message_id, page) = flaggable_message(&state, id, &form.message, &member).await?;
    let (reason, note) = match form.flag.check(&FlagReason::FOR_MESSAGES) {
        Ok(parsed) => parsed,
        Err(problem) => return Ok(page.with_problem(form.flag, problem).answer()),
    };
    let mut tx = state.db.begin().await?;
    let added = queries::add(&mut tx, message_id, member.user.id, reason, note).await?;
    if added {
        queries::tell_admins(&mut tx, message_id, member.user.id, reason).await?;
    }
    tx.commit().await?;
    let told = if added {
        "Thank you. The site's admins will review the message; you will hear what they decide."
    } else {
        "You have already flagged this message; the site's admins will review it."
    };
    let back = format!("/messages/{}#m{message_id}", id.0);
    flash_and_redirect(&member.session, FlashKind::Notice, told, &back).await
}

async fn queue(State(state): State<AppState>, Admin(admin): Admin) -> Result<QueuePage> {
    Ok(QueuePage {
        page: admin.page,
        open: queries::queue(&state.db).await?,
    })
}

/// The one place an admin reads a private message, so each opening is in the audit log.
async fn review(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<PrivateMessageId>,
) -> Result<ReviewPage> {
    let message = queries::flagged(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let (around, flags) = tokio::try_join!(
        queries::around(&state.db, &message),
        queries::flags(&state.db, message.id),
    )?;
    let reason = format!("conversation #{}", message.conversation_id);
    let target = ("message", Some(message.id));
    // On the primary: this page may read from a replica, and the record must be kept.
    record_site(
        &state.primary,
        admin.user.id,
        Action::ReadFlaggedMessage,
        target,
        &reason,
    )
    .await?;
    Ok(ReviewPage {
        page: admin.page,
        message,
        around,
        flags,
    })
}

/// agree: the message is hidden from its participants; disagree: it stays. Either way its open
/// flags are resolved and each flagger is told.
async fn decide(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path((id, verdict)): Path<(PrivateMessageId, String)>,
) -> Result<Response> {
    let verdict = Verdict::parse(&verdict).ok_or(AppError::NotFound)?;
    let message = queries::flagged(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let flaggers = queries::resolve(&mut tx, message.id, admin.user.id, verdict).await?;
    if flaggers.is_empty() {
        return Err(AppError::BadRequest(
            "This message has no open flags: it was reviewed already.".into(),
        ));
    }
    let (told, done) = match verdict {
        Verdict::Agreed => {
            queries::hide(&mut tx, message.id).await?;
            (
                "The site's admins agreed with your flag: the message is hidden.",
                "The message is hidden",
            )
        }
        Verdict::Disagreed => (
            "The site's admins reviewed your flag and left the message as it is.",
            "The message stays",
        ),
    };
    queries::tell_flaggers(
        &mut tx,
        &flaggers,
        admin.user.id,
        message.conversation_id,
        told,
    )
    .await?;
    let target = ("message", Some(message.id));
    record_site(
        &mut *tx,
        admin.user.id,
        Action::MessageFlags(verdict),
        target,
        "",
    )
    .await?;
    tx.commit().await?;
    let count = flaggers.len();
    let summary = format!(
        "{done}; {count} member{} who flagged it {} told.",
        if count == 1 { "" } else { "s" },
        if count == 1 { "is" } else { "are" }
    );
    flash_and_redirect(
        &admin.session,
        FlashKind::Success,
        summary,
        "/admin/message-flags",
    )
    .await
}
