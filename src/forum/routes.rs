//! Domains, threads and posts: `/`, `/d`, `/d/{slug}`, `/d/{slug}/new`, joining and leaving,
//! `/t/{id}`, `/p/{id}` permalinks, replying, quoting, editing with history, deleting.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::fields::{parse_id, Body, ThreadKind, Title};
use super::queries::{self, Cursor, Leaving, Post, Thread, POSTS_PER_PAGE, THREADS_PER_PAGE};
use super::views::{
    ComposeForm, ComposerPage, DeletePage, DirectoryPage, DomainPage, HomePage, PostView,
    RevisionsPage, ThreadPage,
};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::support::queries::{suggest_experts, Suggestion};
use crate::web::{flash, CurrentUser, FieldErrors, FlashKind};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/d", get(directory))
        .route("/d/{slug}", get(domain))
        .route("/d/{slug}/join", post(join))
        .route("/d/{slug}/leave", post(leave))
        .route("/d/{slug}/new", get(new_thread_form).post(new_thread))
        .route("/d/{slug}/feed.atom", get(super::feed::domain_feed))
        .route("/t/{id}", get(show_thread))
        .route("/t/{id}/{slug}", get(show_thread_with_slug))
        .route("/t/{id}/reply", get(reply_form).post(reply))
        .route("/p/{id}", get(permalink))
        .route("/p/{id}/edit", get(edit_form).post(edit))
        .route("/p/{id}/delete", get(delete_form).post(delete))
        .route("/p/{id}/revisions", get(revisions))
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> Result<HomePage> {
    let viewer = visitor.page.user.as_ref();
    let domains = queries::visible_domains(&state.db, viewer).await?;
    let (my_domains, other_domains) = domains.into_iter().partition(|d| d.is_member);
    let recent = match viewer {
        Some(user) => queries::recent_threads_for_member(&state.db, user.id, 15).await?,
        None => Vec::new(),
    };
    Ok(HomePage {
        page: visitor.page,
        my_domains,
        other_domains,
        recent,
    })
}

async fn directory(State(state): State<AppState>, visitor: Visitor) -> Result<DirectoryPage> {
    let domains = queries::visible_domains(&state.db, visitor.page.user.as_ref()).await?;
    Ok(DirectoryPage {
        page: visitor.page,
        domains,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DomainQuery {
    before: Option<String>,
}

async fn domain(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    Query(query): Query<DomainQuery>,
) -> Result<DomainPage> {
    let viewer = visitor.page.user.as_ref();
    let domain = super::lookup::readable_domain(&state.db, &slug, viewer).await?;
    let access = domain.access(viewer);
    let before = match query.before.as_deref() {
        Some(raw) => Some(Cursor::parse(raw).ok_or_else(|| {
            AppError::BadRequest(
                "That page link is damaged; go back to the domain's first page.".into(),
            )
        })?),
        None => None,
    };
    let moderator = access.can_moderate();
    let threads = queries::latest_threads(&state.db, domain.id, before, moderator).await?;
    let pinned = if before.is_none() {
        queries::pinned_threads(&state.db, domain.id, moderator).await?
    } else {
        Vec::new()
    };
    let older = (threads.len() as i64 == THREADS_PER_PAGE)
        .then(|| threads.last())
        .flatten()
        .map(|t| {
            Cursor {
                at: t.last_posted_at,
                id: t.id,
            }
            .encode()
        });
    let repertoire = crate::educate::queries::sidebar(&state.db, domain.id).await?;
    let reports = crate::integrate::queries::recent_in_domain(&state.db, domain.id, 5).await?;
    let spotlight = crate::encourage::spotlight::featured(&state.db, domain.id).await?;
    let introductions =
        crate::cultivate::introductions_status(&state.db, domain.id, viewer.map(|u| u.id)).await?;
    Ok(DomainPage {
        introductions,
        repertoire,
        reports,
        spotlight,
        page: visitor.page,
        domain,
        access,
        pinned,
        threads,
        older,
        is_first_page: before.is_none(),
    })
}

async fn join(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
) -> Result<Response> {
    let domain = super::lookup::readable_domain(&state.db, &slug, Some(&member.user)).await?;
    if domain.visibility != "public" {
        // Members of a private domain are added by its facilitators.
        return Err(AppError::Forbidden(
            "This domain is private; its facilitators add members.",
        ));
    }
    if queries::join(&state.db, domain.id, member.user.id).await? {
        let welcome = format!(
            "Welcome to {}! Read the charter, then introduce yourself and your practice.",
            domain.name
        );
        flash(&member.session, FlashKind::Success, welcome).await?;
    }
    Ok(Redirect::to(&format!("/d/{}", domain.slug)).into_response())
}

async fn leave(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
) -> Result<Response> {
    let domain = super::lookup::readable_domain(&state.db, &slug, Some(&member.user)).await?;
    let message = match queries::leave(&state.db, domain.id, member.user.id).await? {
        Leaving::Left => format!("You have left {}.", domain.name),
        Leaving::NotAMember => format!("You were not a member of {}.", domain.name),
        Leaving::LastFacilitator => {
            return Err(AppError::Forbidden(
                "You are this domain's only facilitator. Ask an admin to appoint another before you leave.",
            ))
        }
        Leaving::Banned => return Err(AppError::Forbidden("A ban stays in place until it ends or is lifted.")),
    };
    flash(&member.session, FlashKind::Notice, message).await?;
    let target = if domain.visibility == "public" {
        format!("/d/{}", domain.slug)
    } else {
        "/d".into()
    };
    Ok(Redirect::to(&target).into_response())
}

async fn new_thread_form(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
) -> Result<ComposerPage> {
    let domain = queries::domain_by_slug(&state.db, &slug, Some(&member.user))
        .await?
        .ok_or(AppError::NotFound)?;
    domain.access(Some(&member.user)).require_post()?;
    Ok(ComposerPage::new_thread(
        member.page,
        &domain.slug,
        &domain.name,
        ComposeForm::default(),
    ))
}

/// Members of the domain whose expertise the question mentions, shown beside the composer.
async fn suggestions(
    state: &AppState,
    domain_id: i64,
    asker: i64,
    form: &ComposeForm,
) -> Result<Vec<Suggestion>> {
    if form.title.trim().is_empty() && form.body.trim().is_empty() {
        return Ok(Vec::new());
    }
    let text = format!("{} {}", form.title, form.body);
    Ok(suggest_experts(&state.db, domain_id, asker, &text).await?)
}

async fn new_thread(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
    Form(form): Form<ComposeForm>,
) -> Result<Response> {
    let domain = queries::domain_by_slug(&state.db, &slug, Some(&member.user))
        .await?
        .ok_or(AppError::NotFound)?;
    domain.access(Some(&member.user)).require_post()?;
    let mut errors = FieldErrors::default();
    let title = errors.check("title", Title::parse(&form.title));
    let kind = errors.check("kind", ThreadKind::parse(&form.kind));
    let body = errors.check("body", Body::parse(&form.body));
    let (Some(title), Some(kind), Some(body), false) = (title, kind, body, form.wants_preview())
    else {
        let experts = suggestions(&state, domain.id, member.user.id, &form).await?;
        let mut page =
            ComposerPage::new_thread(member.page, &domain.slug, &domain.name, form).with(errors);
        page.experts = experts;
        return Ok(page.answer());
    };
    let id = queries::create_thread(
        &state.db,
        domain.id,
        member.user.id,
        title.as_str(),
        kind.as_str(),
        body.as_str(),
    )
    .await?;
    Ok(Redirect::to(&format!("/t/{id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ThreadQuery {
    from: Option<String>,
}

async fn show_thread_with_slug(
    state: State<AppState>,
    visitor: Visitor,
    Path((id, _slug)): Path<(String, String)>,
    query: Query<ThreadQuery>,
) -> Result<ThreadPage> {
    show_thread(state, visitor, Path(id), query).await
}

async fn show_thread(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<ThreadQuery>,
) -> Result<ThreadPage> {
    let viewer = visitor.page.user.as_ref();
    let thread = super::lookup::readable_thread(&state.db, parse_id(&id)?, viewer).await?;
    let (start, before) = match query.from.as_deref() {
        // A `from` that is not a page start (a hand-edited link) is moved to the start of its page.
        Some(raw) => {
            let from = parse_id(raw)
                .map_err(|_| AppError::BadRequest("That page link is damaged.".into()))?;
            queries::page_start(&state.db, thread.id, from)
                .await?
                .ok_or(AppError::NotFound)?
        }
        // The first page starts at the opening post, with nothing before it.
        None => {
            let first = queries::first_post_id(&state.db, thread.id)
                .await?
                .ok_or(AppError::NotFound)?;
            (first, 0)
        }
    };
    let mut posts = queries::posts_page(&state.db, thread.id, start).await?;
    let next = (posts.len() as i64 > POSTS_PER_PAGE)
        .then(|| posts.pop())
        .flatten()
        .map(|p| p.id);
    let previous = if before > 0 {
        queries::previous_page_start(&state.db, thread.id, start).await?
    } else {
        None
    };
    let access = thread.access(viewer);
    let post_ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let marks = queries::page_marks(&state.db, viewer.map(|u| u.id), thread.id, &post_ids).await?;
    let views = posts
        .into_iter()
        .enumerate()
        .map(|(i, post)| PostView::new(post, before + i as i64 + 1, viewer, access))
        .collect();
    let reports = crate::integrate::queries::reports_on(
        &state.db,
        crate::integrate::queries::Subject::Thread(thread.id),
    )
    .await?;
    let move_targets = match viewer.filter(|_| access.can_moderate()) {
        Some(user) => queries::facilitated_domains(&state.db, user, thread.domain_id).await?,
        None => Vec::new(),
    };
    Ok(ThreadPage {
        move_targets,
        reports,
        marks,
        reply: ComposeForm::default(),
        page_number: before / POSTS_PER_PAGE + 1,
        page_count: ((i64::from(thread.reply_count) + POSTS_PER_PAGE) / POSTS_PER_PAGE).max(1),
        page: visitor.page,
        access,
        thread,
        posts: views,
        previous,
        next,
    })
}

/// `/p/{id}`: the thread page holding the post, scrolled to it.
async fn permalink(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response> {
    let viewer = visitor.page.user.as_ref();
    let post_id = parse_id(&id)?;
    let thread = super::lookup::readable_thread_of_post(&state.db, post_id, viewer).await?;
    let (start, before) = queries::page_start(&state.db, thread.id, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = if before == 0 {
        format!("/t/{}#p{post_id}", thread.id)
    } else {
        format!("/t/{}?from={start}#p{post_id}", thread.id)
    };
    Ok(Redirect::to(&target).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyQuery {
    quote: Option<String>,
}

async fn reply_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Query(query): Query<ReplyQuery>,
) -> Result<ComposerPage> {
    let thread = replyable_thread(&state, &id, &member.user).await?;
    let mut form = ComposeForm::default();
    if let Some(raw) = query.quote.as_deref() {
        let quoted = queries::post(&state.db, parse_id(raw)?)
            .await?
            .filter(|p| p.thread_id == thread.id && p.deleted_at.is_none() && !p.hidden)
            .ok_or(AppError::NotFound)?;
        form.body = quote(&quoted);
    }
    Ok(ComposerPage::reply(member.page, &thread, form))
}

/// A Markdown quotation of a post, crediting its author with a link back to it.
fn quote(post: &Post) -> String {
    let quoted: String = post
        .body_md
        .lines()
        .map(|line| format!("> {line}\n"))
        .collect();
    format!(
        "[@{} wrote](/p/{}):\n{quoted}\n",
        post.author_username, post.id
    )
}

async fn reply(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<ComposeForm>,
) -> Result<Response> {
    let thread = replyable_thread(&state, &id, &member.user).await?;
    let mut errors = FieldErrors::default();
    let body = errors.check("body", Body::parse(&form.body));
    let (Some(body), false) = (body, form.wants_preview()) else {
        return Ok(ComposerPage::reply(member.page, &thread, form)
            .with(errors)
            .answer());
    };
    match queries::reply(&state.db, thread.id, member.user.id, body.as_str()).await? {
        Some(post_id) => Ok(Redirect::to(&format!("/p/{post_id}")).into_response()),
        None => {
            errors.add("body", "This thread was locked while you wrote; your reply was not posted. Copy it if you want to keep it.");
            Ok(ComposerPage::reply(member.page, &thread, form)
                .with(errors)
                .answer_with(StatusCode::FORBIDDEN))
        }
    }
}

/// A thread this member may reply to: readable, they may post in its domain, and not locked.
async fn replyable_thread(state: &AppState, id: &str, user: &CurrentUser) -> Result<Thread> {
    let thread = super::lookup::readable_thread(&state.db, parse_id(id)?, Some(user)).await?;
    thread.access(Some(user)).require_post()?;
    if thread.locked {
        return Err(AppError::Forbidden(
            "This thread is locked: it takes no more replies.",
        ));
    }
    Ok(thread)
}

/// A post with its thread, for its author to change; 404 if unreadable, 403 if not theirs.
async fn own_post(state: &AppState, id: &str, user: &CurrentUser) -> Result<(Post, Thread)> {
    let post_id = parse_id(id)?;
    let thread = super::lookup::readable_thread_of_post(&state.db, post_id, Some(user)).await?;
    let post = queries::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if post.author_id != user.id {
        return Err(AppError::Forbidden("Only its author can change a post."));
    }
    if post.deleted_at.is_some() {
        return Err(AppError::Forbidden("This post has been deleted."));
    }
    Ok((post, thread))
}

async fn edit_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<ComposerPage> {
    let (post, thread) = own_post(&state, &id, &member.user).await?;
    let opening = queries::first_post_id(&state.db, thread.id).await? == Some(post.id);
    let form = ComposeForm {
        title: if opening {
            thread.title.clone()
        } else {
            String::new()
        },
        body: post.body_md.clone(),
        ..ComposeForm::default()
    };
    Ok(ComposerPage::edit(
        member.page,
        &thread,
        post.id,
        opening,
        form,
    ))
}

async fn edit(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<ComposeForm>,
) -> Result<Response> {
    let (post, thread) = own_post(&state, &id, &member.user).await?;
    let opening = queries::first_post_id(&state.db, thread.id).await? == Some(post.id);
    let mut errors = FieldErrors::default();
    let title = if opening {
        errors.check("title", Title::parse(&form.title))
    } else {
        None
    };
    let body = errors.check("body", Body::parse(&form.body));
    let (Some(body), true, false) = (body, errors.is_empty(), form.wants_preview()) else {
        return Ok(
            ComposerPage::edit(member.page, &thread, post.id, opening, form)
                .with(errors)
                .answer(),
        );
    };
    if body.as_str() != post.body_md {
        queries::edit_post(&state.db, post.id, body.as_str()).await?;
    }
    if let Some(title) = title.filter(|t| t.as_str() != thread.title) {
        queries::retitle_thread(&state.db, thread.id, title.as_str()).await?;
    }
    Ok(Redirect::to(&format!("/p/{}", post.id)).into_response())
}

async fn delete_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<DeletePage> {
    let (post, thread) = own_post(&state, &id, &member.user).await?;
    Ok(DeletePage {
        page: member.page,
        thread,
        post,
    })
}

async fn delete(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Response> {
    let (post, _) = own_post(&state, &id, &member.user).await?;
    queries::delete_post(&state.db, post.id).await?;
    flash(
        &member.session,
        FlashKind::Notice,
        "Your post was deleted. Replies to it keep their place.",
    )
    .await?;
    Ok(Redirect::to(&format!("/p/{}", post.id)).into_response())
}

async fn revisions(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<RevisionsPage> {
    let viewer = visitor.page.user.as_ref();
    let post_id = parse_id(&id)?;
    let thread = super::lookup::readable_thread_of_post(&state.db, post_id, viewer).await?;
    let post = queries::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = PostView::new(post, 0, viewer, thread.access(viewer));
    if !view.show_body {
        return Err(AppError::NotFound);
    }
    let revisions = queries::revisions(&state.db, post_id).await?;
    Ok(RevisionsPage {
        page: visitor.page,
        thread,
        post: view,
        revisions,
    })
}
