//! The core's own pages: `/`, `/d`, joining and leaving, watching levels, `/tags/{tag}`,
//! `/p/{id}` permalinks, editing with history, deleting, and the composer script's uploads (`/d/{slug}/uploads`). The domain and
//! thread pages, and writing threads and replies, combine the core with the functions and live
//! in `pages`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::drafts::{self, Draft, Slot};
use super::fields::{Body, Title};
use super::lookup;
use super::polls::{self, Voted};
use super::queries::{self, Cursor, Leaving, PostSource, Retitle, Saved, Thread, THREADS_PER_PAGE};
use super::reading::{self, ListQuery, Scope, Tabs, Tracked};
use super::views::{
    ComposeForm, ComposerPage, DeletePage, DirectoryPage, DraftsPage, EditConflict, EditTagsPage,
    HomePage, PostView, RevisionsPage, TagPage,
};
use super::watching::{self, Level};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::fields::Slug;
use crate::uploads::{self, Purpose};
use crate::web::path::{PollId, PostId, ThreadId};
use crate::web::{
    flash, flash_and_redirect, Before, CurrentUser, FieldErrors, FlashKind, Form, FormWithFiles,
    PageContext, Path, Query,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/dismiss", post(dismiss))
        .route("/drafts", post(save_draft))
        .route("/me/drafts", get(drafts_page))
        .route("/me/drafts/discard", post(discard_draft))
        .route("/d", get(directory))
        .route("/d/{slug}/join", post(join))
        .route("/d/{slug}/leave", post(leave))
        .route("/d/{slug}/watch", post(watch_domain))
        .route("/t/{id}/watch", post(watch_thread))
        .route("/t/{id}/tags", get(edit_tags_form).post(edit_tags))
        .route("/tags/{tag}", get(tag_page))
        .route("/tags/{tag}/watch", post(watch_tag))
        .route("/polls/{id}/vote", post(vote))
        .route("/d/{slug}/feed.atom", get(super::feed::domain_feed))
        .route("/p/{id}", get(permalink))
        .route("/p/{id}/edit", get(edit_form).post(edit))
        .route("/p/{id}/delete", get(delete_form).post(delete))
        .route("/p/{id}/revisions", get(revisions))
        .route("/d/{slug}/uploads", post(upload))
}

/// For a member: their domains' recent threads, or their Unread or New threads, with the tabs
/// that switch between them. A visitor sees the domains to explore.
async fn home(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<HomePage> {
    let viewer = visitor.page.user.as_ref();
    let before = query.cursor()?;
    // A member's list and tab counts, beside the domains rather than after them. The list and
    // the domains keep one generic plan each (two A/B runs at each scale: signed in +10–29 %,
    // anonymous +3–56 %), and so do the counts (`reading::counts`).
    let theirs = async {
        let Some(user) = viewer else {
            return Ok((Vec::new(), None));
        };
        let list = async {
            match query.view.tracked() {
                None => queries::recent_threads_for_member(&state.generic_db, user.id).await,
                Some(view) => reading::threads(&state.db, user.id, view, Scope::Home, before).await,
            }
        };
        let (recent, counts) = tokio::try_join!(
            list,
            reading::counts(&state.generic_db, user.id, Scope::Home)
        )?;
        let tabs = Tabs {
            base: "/".into(),
            view: query.view,
            counts,
            domain: None,
        };
        Ok::<_, sqlx::Error>((recent, Some(tabs)))
    };
    let (domains, (recent, tabs)) =
        tokio::try_join!(queries::visible_domains(&state.generic_db, viewer), theirs)?;
    let (my_domains, other_domains) = domains.into_iter().partition(|d| d.is_member);
    Ok(HomePage {
        page: visitor.page,
        my_domains,
        other_domains,
        older: tabs
            .as_ref()
            .filter(|t| t.view.tracked().is_some())
            .and_then(|_| reading::older(&recent)),
        recent,
        tabs,
    })
}

#[derive(Deserialize)]
struct DismissForm {
    view: Tracked,
    #[serde(default)]
    domain: Option<Slug>,
}

/// "Dismiss all" on an Unread or New view: every thread of it is read to its last post.
async fn dismiss(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<DismissForm>,
) -> Result<Response> {
    let (scope, back) = match &form.domain {
        Some(slug) => {
            let domain = lookup::readable_domain(&state.db, slug, Some(&member.user)).await?;
            (Scope::Domain(domain.id), format!("/d/{}", domain.slug))
        }
        None => (Scope::Home, "/".to_string()),
    };
    let count = reading::dismiss(&state.db, member.user.id, form.view, scope).await?;
    let message = match count {
        1 => "1 thread marked as read.".to_string(),
        n => format!("{n} threads marked as read."),
    };
    let target = format!("{back}?view={}", form.view.as_str());
    flash_and_redirect(&member.session, FlashKind::Success, message, &target).await
}

/// Which form a draft is of, as its fields name it: `thread` (an id) for a reply, `domain` (a
/// slug) for a new thread.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SlotFields {
    thread: Option<String>,
    domain: Option<String>,
}

impl SlotFields {
    /// The slot, if this member may post there: the same rule as posting itself.
    async fn slot(&self, state: &AppState, user: &CurrentUser) -> Result<Slot> {
        match (self.thread.as_deref(), self.domain.as_deref()) {
            (Some(raw), None) => {
                let id = super::fields::parse_id(raw)?;
                let thread = lookup::readable_thread(&state.db, id, Some(user)).await?;
                thread.access(Some(user)).require_post()?;
                Ok(Slot::Reply(thread.id))
            }
            (None, Some(raw)) => {
                let slug = Slug::parse(raw).map_err(|_| AppError::NotFound)?;
                let domain = queries::domain_by_slug(&state.db, &slug, Some(user))
                    .await?
                    .ok_or(AppError::NotFound)?;
                domain.access(Some(user)).require_post()?;
                Ok(Slot::NewThread(domain.id))
            }
            _ => Err(AppError::BadRequest(
                "Say which form this draft is of: a thread or a domain.".into(),
            )),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DraftForm {
    #[serde(flatten)]
    slot: SlotFields,
    title: String,
    kind: String,
    body: String,
    key: String,
}

/// The composer's script keeps its text as a draft, every few seconds and when the page is left.
async fn save_draft(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<DraftForm>,
) -> Result<StatusCode> {
    let slot = form.slot.slot(&state, &member.user).await?;
    let draft = Draft {
        title: form.title,
        kind: form.kind,
        body: form.body,
        updated_at: None,
    };
    drafts::save(&state.db, member.user.id, slot, &draft, &form.key).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn drafts_page(State(state): State<AppState>, member: Member) -> Result<DraftsPage> {
    let drafts = drafts::list(&state.db, member.user.id).await?;
    Ok(DraftsPage {
        page: member.page,
        drafts,
    })
}

/// Discarding is asked for twice on the page (a disclosure, then its button), so it needs no
/// script to be deliberate.
async fn discard_draft(
    State(state): State<AppState>,
    member: Member,
    Form(fields): Form<SlotFields>,
) -> Result<Response> {
    let slot = fields.slot(&state, &member.user).await?;
    drafts::discard(&state.db, member.user.id, slot).await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        "Draft discarded.",
        "/me/drafts",
    )
    .await
}

#[derive(Deserialize)]
struct WatchForm {
    level: String,
}

impl WatchForm {
    fn level(&self) -> Result<Level> {
        Level::parse(&self.level).ok_or_else(|| {
            AppError::BadRequest("Choose watching, tracking, normal or muted.".into())
        })
    }
}

/// A member's watching level on a thread they may read.
async fn watch_thread(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Form(form): Form<WatchForm>,
) -> Result<Response> {
    let level = form.level()?;
    let thread = lookup::readable_thread(&state.db, id.0, Some(&member.user)).await?;
    watching::set_on_thread(&state.db, member.user.id, thread.id, level).await?;
    let message = format!("{} this thread: {}.", level.label(), level.explained(false));
    let back = format!("/t/{}", thread.id);
    flash_and_redirect(&member.session, FlashKind::Success, message, &back).await
}

async fn edit_tags_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
) -> Result<EditTagsPage> {
    let thread = lookup::readable_thread(&state.db, id.0, Some(&member.user)).await?;
    super::tags::may_edit(Some(&member.user), &thread)?;
    Ok(EditTagsPage {
        page: member.page,
        thread_id: thread.id,
        title: thread.title,
        tags: thread.tags.join(", "),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TagsForm {
    tags: String,
}

async fn edit_tags(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Form(form): Form<TagsForm>,
) -> Result<Response> {
    let thread = lookup::readable_thread(&state.db, id.0, Some(&member.user)).await?;
    super::tags::may_edit(Some(&member.user), &thread)?;
    let tags = match super::tags::parse(&form.tags) {
        Ok(tags) => tags,
        Err(problem) => {
            let mut errors = FieldErrors::default();
            errors.add("tags", problem);
            let page = EditTagsPage {
                page: member.page,
                thread_id: thread.id,
                title: thread.title,
                tags: form.tags,
                errors,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    super::tags::set(&state.db, thread.id, &tags).await?;
    let message = match tags.len() {
        0 => "The thread has no tags now.".to_string(),
        _ => format!("Tags saved: {}.", tags.join(", ")),
    };
    let back = format!("/t/{}", thread.id);
    flash_and_redirect(&member.session, FlashKind::Success, message, &back).await
}

/// A tag named in the path, as stored; anything else is not a tag's page.
fn tag_in_path(raw: &str) -> Result<String> {
    super::tags::one(raw).ok_or(AppError::NotFound)
}

/// The threads tagged `tag` that the viewer may read, with a member's watching level on it.
async fn tag_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(tag): Path<String>,
    Query(query): Query<Before>,
) -> Result<TagPage> {
    let tag = tag_in_path(&tag)?;
    let before = Cursor::from_link(query.before.as_deref())?;
    let viewer = visitor.page.user.as_ref().map(|u| u.id);
    let threads = super::tags::threads(&state.db, &tag, before, viewer).await?;
    let level = match viewer {
        Some(id) => watching::on_tag(&state.db, id, &tag).await?,
        None => None,
    };
    let older = Cursor::after_page(&threads, THREADS_PER_PAGE, |t| Cursor {
        at: t.last_posted_at,
        id: t.id,
    });
    Ok(TagPage {
        page: visitor.page,
        tag,
        threads,
        is_first_page: before.is_none(),
        older,
        level: level.unwrap_or(Level::Tracking),
    })
}

/// A member's watching level on a tag, for every thread with it that they have not set a level
/// of their own on.
async fn watch_tag(
    State(state): State<AppState>,
    member: Member,
    Path(tag): Path<String>,
    Form(form): Form<WatchForm>,
) -> Result<Response> {
    let level = form.level()?;
    let tag = tag_in_path(&tag)?;
    watching::set_on_tag(&state.db, member.user.id, &tag, level).await?;
    let message = format!("{} “{tag}”: {}.", level.label(), level.explained(true));
    let back = format!("/tags/{}", crate::web::path_segment(&tag));
    flash_and_redirect(&member.session, FlashKind::Success, message, &back).await
}

/// A member's watching level on a domain they may read, for every thread in it that they have
/// not set a level of its own on.
async fn watch_domain(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    Form(form): Form<WatchForm>,
) -> Result<Response> {
    let level = form.level()?;
    let domain = lookup::readable_domain(&state.db, &slug, Some(&member.user)).await?;
    watching::set_on_domain(&state.db, member.user.id, domain.id, level).await?;
    let message = format!(
        "{} {}: {}.",
        level.label(),
        domain.name,
        level.explained(true)
    );
    let back = format!("/d/{}", domain.slug);
    flash_and_redirect(&member.session, FlashKind::Success, message, &back).await
}

/// A member who may post in the poll's domain votes, once. Every answer goes back to the poll
/// with what became of the vote.
async fn vote(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PollId>,
    Form(fields): Form<std::collections::HashMap<String, String>>,
) -> Result<Response> {
    let ballot = polls::ballot(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let thread = lookup::readable_thread(&state.db, ballot.thread_id, Some(&member.user)).await?;
    thread.access(Some(&member.user)).require_post()?;
    let back = format!("/p/{}", ballot.post_id);
    let options = match polls::chosen(&fields, &ballot) {
        Ok(options) => options,
        Err(problem) => {
            return flash_and_redirect(&member.session, FlashKind::Notice, problem, &back).await
        }
    };
    let (kind, message) = match polls::vote(&state.db, id.0, member.user.id, &options).await? {
        Voted::Counted => (FlashKind::Success, "Your vote is counted."),
        Voted::AlreadyVoted => (
            FlashKind::Notice,
            "You have already voted in this poll; a vote is not changed.",
        ),
        Voted::Closed => (
            FlashKind::Notice,
            "This poll has closed; your vote was not counted.",
        ),
    };
    flash_and_redirect(&member.session, kind, message, &back).await
}

async fn directory(State(state): State<AppState>, visitor: Visitor) -> Result<DirectoryPage> {
    let domains = queries::visible_domains(&state.db, visitor.page.user.as_ref()).await?;
    Ok(DirectoryPage {
        page: visitor.page,
        domains,
    })
}

async fn join(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
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
    Path(slug): Path<Slug>,
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

/// `/p/{id}`: the thread page holding the post, scrolled to it.
async fn permalink(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<PostId>,
) -> Result<Response> {
    let viewer = visitor.page.user.as_ref();
    let post_id = id.0;
    let thread = super::lookup::readable_thread_of_post(&state.db, post_id, viewer).await?;
    let (start, before) = queries::page_start(&state.db, thread.id, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = if before == 0 {
        format!("/t/{}#p{post_id}", thread.id)
    } else {
        format!("/t/{}?from={start}#p{post_id}", thread.id)
    };
    crate::web::pass_flash_on(&visitor.session, visitor.page.flash).await?;
    Ok(Redirect::to(&target).into_response())
}

/// A post with its thread, for its author to change; 404 if unreadable, 403 if not theirs.
async fn own_post(
    state: &AppState,
    id: PostId,
    user: &CurrentUser,
) -> Result<(PostSource, Thread)> {
    let post_id = id.0;
    let thread = super::lookup::readable_thread_of_post(&state.db, post_id, Some(user)).await?;
    let post = queries::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if post.author_id != user.id {
        return Err(AppError::Forbidden("Only its author can change a post."));
    }
    thread.access(Some(user)).require_not_banned()?;
    if post.deleted_at.is_some() {
        return Err(AppError::Forbidden("This post has been deleted."));
    }
    Ok((post, thread))
}

async fn edit_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<ComposerPage> {
    let (post, thread) = own_post(&state, id, &member.user).await?;
    let opening = post.is_opening();
    let form = ComposeForm {
        title: if opening {
            thread.title.clone()
        } else {
            String::new()
        },
        body: post.body_md.clone(),
        version: post.version,
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
    Path(id): Path<PostId>,
    FormWithFiles { mut form, files }: FormWithFiles<ComposeForm>,
) -> Result<Response> {
    let (post, thread) = own_post(&state, id, &member.user).await?;
    let opening = post.is_opening();
    let mut errors = FieldErrors::default();
    let attached = (state.uploads)
        .attach(
            &state.db,
            member.user.id,
            thread.domain_id,
            files,
            &mut form.body,
            &mut errors,
        )
        .await?;
    let title = if opening {
        errors.check("title", Title::parse(&form.title))
    } else {
        None
    };
    let body = errors.check("body", Body::parse(&form.body));
    let (Some(body), true, false) = (body, errors.is_empty(), form.wants_preview()) else {
        return Ok(
            ComposerPage::edit(member.page, &thread, post.id, opening, form)
                .attached(attached)
                .with(&state, errors)
                .await?
                .answer(),
        );
    };
    let retitle = title
        .as_ref()
        .filter(|t| t.as_str() != thread.title)
        .map(|t| Retitle {
            thread_id: thread.id,
            title: t.as_str(),
        });
    let mut tx = state.db.begin().await?;
    let editor = member.user.id;
    let saved = queries::edit_post(
        &mut tx,
        post.id,
        form.version,
        body.as_str(),
        editor,
        retitle,
    )
    .await?;
    tx.commit().await?;
    if saved == Saved::Stale {
        return edit_conflict(&state, member.page, &thread, opening, post.id, form).await;
    }
    Ok(Redirect::to(&format!("/p/{}", post.id)).into_response())
}

/// 409: the composer again with the member's text, beside the version saved meanwhile. The form
/// now carries that version, so saving again replaces it knowingly.
async fn edit_conflict(
    state: &AppState,
    page: PageContext,
    thread: &Thread,
    opening: bool,
    post_id: i64,
    mut form: ComposeForm,
) -> Result<Response> {
    let PostSource {
        post: saved,
        body_md,
    } = queries::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let current_title = lookup::readable_thread(&state.db, thread.id, page.user.as_ref())
        .await?
        .title;
    form.version = saved.version;
    let mut composer = ComposerPage::edit(page, thread, post_id, opening, form);
    composer.conflict = Some(EditConflict {
        saved_at: saved.edited_at.unwrap_or(saved.created_at),
        title: opening.then_some(current_title),
        summary: None,
        body_md,
        body_html: saved.body_html,
    });
    Ok(composer.answer_with(StatusCode::CONFLICT))
}

async fn delete_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<DeletePage> {
    let (post, thread) = own_post(&state, id, &member.user).await?;
    Ok(DeletePage {
        page: member.page,
        thread,
        post: post.post,
    })
}

async fn delete(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<Response> {
    let (post, _) = own_post(&state, id, &member.user).await?;
    queries::delete_post(&state.db, post.id).await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        "Your post was deleted. Replies to it keep their place.",
        &format!("/p/{}", post.id),
    )
    .await
}

async fn revisions(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<PostId>,
) -> Result<RevisionsPage> {
    let viewer = visitor.page.user.as_ref();
    let post_id = id.0;
    let thread = super::lookup::readable_thread_of_post(&state.db, post_id, viewer).await?;
    let PostSource { post, body_md } = queries::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = PostView::new(std::sync::Arc::new(post), viewer, thread.access(viewer));
    if !view.show_body {
        return Err(AppError::NotFound);
    }
    let (earlier, editor) = tokio::try_join!(
        queries::revisions(&state.db, post_id),
        queries::current_editor(&state.db, post_id),
    )?;
    let versions = super::history::versions(&view.post, body_md, editor, earlier);
    Ok(RevisionsPage {
        can_revert: thread.access(viewer).can_moderate(),
        page: visitor.page,
        thread,
        post: view,
        versions,
    })
}

/// The composer's script sends a dropped or pasted file here (with the `X-CSRF-Token` header)
/// and puts the answer's Markdown where the cursor is; a refusal comes back as 422 with the
/// reason to show.
async fn upload(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    FormWithFiles { files, .. }: FormWithFiles<NoFields>,
) -> Result<Response> {
    let domain = queries::domain_by_slug(&state.db, &slug, Some(&member.user))
        .await?
        .ok_or(AppError::NotFound)?;
    domain.access(Some(&member.user)).require_post()?;
    let refuse = |status: StatusCode, problem: &str| {
        (status, Json(json!({ "problem": problem }))).into_response()
    };
    let Some(file) = files.into_iter().find(|file| file.field == "file") else {
        return Ok(refuse(StatusCode::BAD_REQUEST, "Choose a file to attach."));
    };
    let purpose = Purpose::Attachment { domain: domain.id };
    match state
        .uploads
        .accept(&state.db, member.user.id, purpose, file)
        .await?
    {
        Ok(upload) => Ok(Json(json!({
            "markdown": uploads::markdown(&upload),
            "name": upload.file_name,
        }))
        .into_response()),
        Err(refused) => Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            &refused.to_string(),
        )),
    }
}

/// A form whose only content is its files (and the CSRF token, checked before).
#[derive(Deserialize)]
struct NoFields {}
