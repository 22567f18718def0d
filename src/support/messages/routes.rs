//! `/messages`: the list, a new conversation, a conversation and its replies, and blocking.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::queries::{self, CONVERSATIONS_PER_PAGE};
use super::views::{ConversationPage, ListPage, NewForm, NewPage};
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::fields::{Body, Title};
use crate::forum::queries::{self as forum, Cursor};
use crate::web::path::ConversationId;
use crate::web::submission::{self, SubmissionKey};
use crate::web::{flash_and_redirect, Before, FieldErrors, FlashKind, Form, Path, Query};
use crate::AppState;

/// At most this many members in one conversation started by name.
const MOST_RECIPIENTS: usize = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", get(list))
        .route("/messages/new", get(new_form).post(start))
        .route("/messages/{id}", get(show))
        .route("/messages/{id}/reply", post(reply))
        .route("/messages/block", post(block))
        .route("/messages/unblock", post(unblock))
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<Before>,
) -> Result<ListPage> {
    let before = Cursor::from_link(query.before.as_deref())?;
    let (conversations, blocked) = tokio::try_join!(
        queries::list(&state.db, member.user.id, before),
        queries::blocked_by(&state.db, member.user.id),
    )?;
    let older = Cursor::after_page(&conversations, CONVERSATIONS_PER_PAGE, |c| Cursor {
        at: c.last_posted_at,
        id: c.id,
    });
    Ok(ListPage {
        page: member.page,
        conversations,
        older,
        blocked,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct To {
    to: String,
}

async fn new_form(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<To>,
) -> Result<NewPage> {
    let domains = forum::facilitated_domains(&state.db, &member.user, 0).await?;
    Ok(NewPage {
        page: member.page,
        form: NewForm {
            to: query.to,
            ..NewForm::default()
        },
        errors: FieldErrors::default(),
        domains,
    })
}

/// Who a new conversation goes to: the members named, and for a facilitator every member of
/// the domain chosen; each problem named by its field.
async fn recipients(
    state: &AppState,
    member: &Member,
    form: &NewForm,
    errors: &mut FieldErrors,
) -> Result<Vec<i64>> {
    let names = form.names();
    let found = queries::members_named(&state.db, &names).await?;
    let unknown: Vec<&str> = names
        .iter()
        .filter(|name| !found.iter().any(|(_, u, _)| u.eq_ignore_ascii_case(name)))
        .map(String::as_str)
        .collect();
    let suspended: Vec<&str> = found
        .iter()
        .filter(|(_, _, suspended)| *suspended)
        .map(|(_, username, _)| username.as_str())
        .collect();
    let mut ids: Vec<i64> = found
        .iter()
        .map(|(id, _, _)| *id)
        .filter(|id| *id != member.user.id)
        .collect();
    if !unknown.is_empty() {
        errors.add("to", format!("No member is called {}.", unknown.join(", ")));
    } else if !suspended.is_empty() {
        errors.add(
            "to",
            format!(
                "{} cannot be written to while suspended.",
                suspended.join(", ")
            ),
        );
    } else if names.len() > MOST_RECIPIENTS {
        errors.add("to", "Write to at most 20 members by name at once.");
    }
    // Those named who blocked the sender are named back; a domain's members who did are left
    // out without a word (`domain_members`), so one block does not stop a facilitator.
    let blocking = queries::blocking(&state.db, member.user.id, &ids).await?;
    if !form.domain.is_empty() {
        let domain = forum::domain_by_slug(&state.db, &form.domain, Some(&member.user))
            .await?
            .filter(|d| d.access(Some(&member.user)).can_moderate());
        match domain {
            Some(domain) => {
                ids.extend(queries::domain_members(&state.db, domain.id, member.user.id).await?)
            }
            None => errors.add(
                "domain",
                "Only a domain's facilitators write to all its members.",
            ),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() && errors.is_empty() {
        errors.add("to", "Name at least one other member to write to.");
    }
    if !blocking.is_empty() {
        errors.add(
            "to",
            format!(
                "{} {} not accept messages from you.",
                blocking.join(", "),
                if blocking.len() == 1 { "does" } else { "do" }
            ),
        );
    }
    Ok(ids)
}

async fn start(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<NewForm>,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
    let recipients = recipients(&state, &member, &form, &mut errors).await?;
    let title = errors.check("title", Title::parse(&form.title));
    let body = errors.check("body", Body::parse(&form.body));
    let (Some(title), Some(body), true) = (title, body, errors.is_empty()) else {
        let domains = forum::facilitated_domains(&state.db, &member.user, 0).await?;
        return Ok(NewPage {
            page: member.page,
            form,
            errors,
            domains,
        }
        .answer());
    };
    let mut tx = state.db.begin().await?;
    let repeat = submission::answer_repeat(&mut tx, &member.session, member.user.id, &form.key);
    if let Some(answer) = repeat.await? {
        return Ok(answer);
    }
    let id = queries::start(
        &mut tx,
        member.user.id,
        &recipients,
        title.as_str(),
        body.as_str(),
    )
    .await?;
    let target = format!("/messages/{id}");
    submission::complete(&mut tx, member.user.id, &form.key, &target).await?;
    tx.commit().await?;
    Ok(Redirect::to(&target).into_response())
}

/// A conversation, for its participants only; opening it reads it.
async fn conversation_page(
    state: &AppState,
    member: Member,
    id: ConversationId,
) -> Result<ConversationPage> {
    let conversation = queries::conversation(&state.db, id.0, member.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = queries::messages(&state.db, conversation.id, member.user.id).await?;
    let earlier = i64::from(conversation.message_count) - messages.len() as i64;
    queries::mark_read(
        &state.primary,
        conversation.id,
        member.user.id,
        conversation.message_count,
    )
    .await?;
    Ok(ConversationPage {
        page: member.page,
        conversation,
        messages,
        earlier: earlier.max(0),
        reply: String::new(),
        key: SubmissionKey::default(),
        errors: FieldErrors::default(),
    })
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ConversationId>,
) -> Result<ConversationPage> {
    conversation_page(&state, member, id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyForm {
    body: String,
    key: SubmissionKey,
}

async fn reply(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ConversationId>,
    Form(form): Form<ReplyForm>,
) -> Result<Response> {
    if !queries::takes_part(&state.db, id.0, member.user.id).await? {
        return Err(AppError::NotFound);
    }
    let body = match Body::parse(&form.body) {
        Ok(body) => body,
        Err(problem) => {
            let mut page = conversation_page(&state, member, id).await?;
            page.errors.add("body", problem);
            page.reply = form.body;
            page.key = form.key;
            return Ok(page.answer());
        }
    };
    let mut tx = state.db.begin().await?;
    let repeat = submission::answer_repeat(&mut tx, &member.session, member.user.id, &form.key);
    if let Some(answer) = repeat.await? {
        return Ok(answer);
    }
    queries::add_message(&mut tx, id.0, member.user.id, body.as_str()).await?;
    let target = format!("/messages/{}#last", id.0);
    submission::complete(&mut tx, member.user.id, &form.key, &target).await?;
    tx.commit().await?;
    Ok(Redirect::to(&target).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Someone {
    username: String,
}

async fn someone(state: &AppState, username: &str) -> Result<(i64, String)> {
    queries::members_named(&state.db, &[username.trim_start_matches('@').to_string()])
        .await?
        .into_iter()
        .next()
        .map(|(id, username, _)| (id, username))
        .ok_or(AppError::NotFound)
}

/// Blocks a member from messaging this one: no new conversation from them, and no notice of
/// their messages in conversations already shared.
async fn block(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<Someone>,
) -> Result<Response> {
    let (id, username) = someone(&state, &form.username).await?;
    if id == member.user.id {
        return Err(AppError::BadRequest("You cannot block yourself.".into()));
    }
    queries::block(&state.db, member.user.id, id).await?;
    let message = format!("{username} can no longer send you messages.");
    flash_and_redirect(&member.session, FlashKind::Success, message, "/messages").await
}

async fn unblock(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<Someone>,
) -> Result<Response> {
    let (id, username) = someone(&state, &form.username).await?;
    queries::unblock(&state.db, member.user.id, id).await?;
    let message = format!("{username} can send you messages again.");
    flash_and_redirect(&member.session, FlashKind::Notice, message, "/messages").await
}
