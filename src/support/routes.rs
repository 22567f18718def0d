//! Support's routes: accepting answers, the unanswered queue, notifications, bookmarks and
//! the expertise directory.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::policy;
use super::queries::{self, QueueCursor, NOTIFICATIONS_PAGE, QUEUE_PAGE};
use super::reminders::{self, ReminderForm};
use super::views::{BookmarksPage, MembersPage, NotificationsPage, ReminderPage, UnansweredPage};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::fields::parse_id;
use crate::forum::fields::Slug;
use crate::forum::lookup::{readable_domain, readable_thread, readable_thread_of_post};
use crate::forum::queries as forum;
use crate::web::path::{NotificationId, PostId, ThreadId};
use crate::web::{
    flash, flash_and_redirect, take_beyond, url_encode, Before, FieldErrors, FlashKind, Form, Path,
    Query,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/{id}/accept", post(accept))
        .route("/t/{id}/unaccept", post(unaccept))
        .route("/p/{id}/bookmark", post(bookmark))
        .route("/d/{slug}/unanswered", get(unanswered))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(read_all))
        .route("/notifications/{id}", get(open_notification))
        .route("/me/bookmarks", get(bookmarks))
        .route("/p/{id}/reminder", get(reminder_form).post(set_reminder))
        .route("/members", get(members))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AcceptForm {
    post: String,
}

/// The asker, or a facilitator of the thread's domain, accepts a reply of *this* thread.
async fn accept(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Form(form): Form<AcceptForm>,
) -> Result<Response> {
    let thread = answerable_thread(&state, id, &member).await?;
    let post_id = parse_id(&form.post)
        .map_err(|_| AppError::BadRequest("Choose a reply to accept.".into()))?;
    let post = forum::post(&state.db, post_id).await?.ok_or_else(|| {
        AppError::BadRequest(
            "Only a visible reply in this thread can be its accepted answer.".into(),
        )
    })?;
    policy::may_be_accepted(&thread, &post)?;
    queries::accept(&state.db, thread.id, post_id, member.user.id).await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Marked as the accepted answer. This question is solved.",
        &format!("/p/{post_id}"),
    )
    .await
}

async fn unaccept(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
) -> Result<Response> {
    let thread = answerable_thread(&state, id, &member).await?;
    queries::clear_accepted(&state.db, thread.id).await?;
    flash(
        &member.session,
        FlashKind::Notice,
        "The accepted answer was cleared; the question is open again.",
    )
    .await?;
    Ok(Redirect::to(&format!("/t/{}", thread.id)).into_response())
}

async fn answerable_thread(
    state: &AppState,
    id: ThreadId,
    member: &Member,
) -> Result<forum::Thread> {
    let user = Some(&member.user);
    let thread = readable_thread(&state.db, id.0, user).await?;
    policy::may_choose_answer(user, &thread)?;
    Ok(thread)
}

async fn bookmark(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<Response> {
    let user = Some(&member.user);
    let post_id = id.0;
    readable_thread_of_post(&state.db, post_id, user).await?;
    let message = if queries::toggle_bookmark(&state.db, member.user.id, post_id).await? {
        "Bookmarked. Find it again under Bookmarks; “Remind me…” brings it back at a time you choose."
    } else {
        "Bookmark removed."
    };
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        message,
        &format!("/p/{post_id}"),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AfterQuery {
    after: Option<String>,
}

async fn unanswered(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<Slug>,
    Query(query): Query<AfterQuery>,
) -> Result<UnansweredPage> {
    let viewer = visitor.page.user.as_ref();
    let domain = readable_domain(&state.db, &slug, viewer).await?;
    let after = match query.after.as_deref() {
        Some(raw) => Some(
            QueueCursor::parse(raw)
                .ok_or_else(|| AppError::BadRequest("That page link is damaged.".into()))?,
        ),
        None => None,
    };
    let threads = queries::unanswered(&state.db, domain.id, after, viewer.map(|u| u.id)).await?;
    let next = (threads.len() as i64 == QUEUE_PAGE)
        .then(|| threads.last())
        .flatten()
        .map(|t| {
            QueueCursor {
                answered: t.reply_count > 0,
                at: t.created_at,
                id: t.id,
            }
            .encode()
        });
    Ok(UnansweredPage {
        page: visitor.page,
        domain,
        threads,
        next,
        is_first_page: after.is_none(),
    })
}

async fn notifications(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<Before>,
) -> Result<NotificationsPage> {
    let before = query.before.as_deref().map(parse_id).transpose()?;
    let notifications = queries::notifications(&state.db, member.user.id, before).await?;
    let older = (notifications.len() as i64 == NOTIFICATIONS_PAGE)
        .then(|| notifications.last().map(|n| n.id))
        .flatten();
    Ok(NotificationsPage {
        page: member.page,
        notifications,
        older,
    })
}

async fn open_notification(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<NotificationId>,
) -> Result<Response> {
    let target = queries::open_notification(&state.db, member.user.id, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&target).into_response())
}

async fn read_all(State(state): State<AppState>, member: Member) -> Result<Response> {
    queries::mark_all_read(&state.db, member.user.id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

async fn bookmarks(State(state): State<AppState>, member: Member) -> Result<BookmarksPage> {
    let bookmarks = queries::bookmarks(&state.db, &member.user).await?;
    Ok(BookmarksPage {
        page: member.page,
        bookmarks,
    })
}

/// A post a member may bookmark: readable, and shown (not deleted or hidden).
async fn bookmarkable_post(state: &AppState, id: PostId, member: &Member) -> Result<ReminderPage> {
    let thread = readable_thread_of_post(&state.db, id.0, Some(&member.user)).await?;
    let post = forum::post(&state.db, id.0)
        .await?
        .filter(|p| p.deleted_at.is_none() && !p.hidden)
        .ok_or(AppError::NotFound)?;
    let current = reminders::current(&state.db, member.user.id, post.id).await?;
    Ok(ReminderPage {
        page: member.page.clone(),
        thread_title: thread.title,
        post_id: post.id,
        excerpt: crate::markdown::plain_excerpt(&post.body_md, 200),
        current,
        form: ReminderForm::default(),
        errors: FieldErrors::default(),
    })
}

/// "Remind me…": the choice of when, for a post bookmarked or about to be.
async fn reminder_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<ReminderPage> {
    let mut page = bookmarkable_post(&state, id, &member).await?;
    page.form.when = match page.current {
        Some(Some(_)) => "at".into(),
        _ => "tomorrow".into(),
    };
    page.form.at = page
        .current
        .flatten()
        .map(crate::web::datetime_local)
        .unwrap_or_default();
    Ok(page)
}

async fn set_reminder(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
    Form(form): Form<ReminderForm>,
) -> Result<Response> {
    let mut page = bookmarkable_post(&state, id, &member).await?;
    let remind_at = match form.parse(time::OffsetDateTime::now_utc()) {
        Ok(at) => at,
        Err((field, problem)) => {
            page.errors.add(field, problem);
            page.form = form;
            return Ok(page.answer());
        }
    };
    reminders::set(&state.db, member.user.id, page.post_id, remind_at).await?;
    let message = match remind_at {
        Some(at) => format!(
            "Bookmarked. You will be reminded on {} (UTC).",
            crate::web::exact(&at)
        ),
        None => "Bookmarked, without a reminder.".to_string(),
    };
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        message,
        "/me/bookmarks",
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MembersQuery {
    expertise: String,
    /// The username the previous page ended with.
    after: String,
}

async fn members(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<MembersQuery>,
) -> Result<MembersPage> {
    let expertise = query
        .expertise
        .trim()
        .to_lowercase()
        .chars()
        .take(60)
        .collect::<String>();
    let after = Some(query.after.trim()).filter(|a| !a.is_empty());
    let cursor = match after {
        Some(raw) => Some(
            queries::expert_cursor(raw)
                .ok_or_else(|| AppError::BadRequest("That page link is not one of ours.".into()))?,
        ),
        None => None,
    };
    let experts = async {
        if expertise.is_empty() {
            return Ok(Vec::new());
        }
        let viewer = visitor.page.user.as_ref();
        queries::experts(&state.db, viewer, &expertise, cursor).await
    };
    let (mut experts, tags) = tokio::try_join!(experts, queries::expertise_tags(&state.db))?;
    let next_after = take_beyond(&mut experts, queries::EXPERTS_PER_PAGE)
        .and_then(|_| experts.last().map(queries::Expert::cursor));
    Ok(MembersPage {
        page: visitor.page,
        expertise,
        experts,
        next_after,
        continued: after.is_some(),
        tags,
    })
}

/// `/members?expertise=…` for a tag.
pub fn expertise_href(tag: &str) -> String {
    format!("/members?expertise={}", url_encode(tag))
}
