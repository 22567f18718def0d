//! `/d/{slug}`, `/d/{slug}/new`, `/t/{id}` and `/t/{id}/reply`: the pages that show the core
//! with the functions beside it, and the forms that write a post and then tell Support.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::queries::{MarkedPost, PageMarks, Reply, ThreadHead};
use super::views::{DomainPage, Tally, ThreadPage};
use crate::auth::{Arrival, Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::drafts::{self, Draft, Slot};
use crate::forum::fields::Slug;
use crate::forum::fields::{parse_id, Body, ThreadKind, Title};
use crate::forum::lookup;
use crate::forum::polls;
use crate::forum::queries::{self, PostSource, Thread, POSTS_PER_PAGE};
use crate::forum::reading::{self, ListQuery, Scope, Tabs, View};
use crate::forum::views::{ComposeForm, ComposerPage, PostView, SuggestedMember};
use crate::forum::watching::Level;
use crate::support::queries::suggest_experts;
use crate::web::path::ThreadId;
use crate::web::submission;
use crate::web::{take_beyond, CurrentUser, FieldErrors, Form, FormWithFiles, Path, Query};
use crate::{integrate, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{slug}", get(domain))
        .route("/d/{slug}/new", get(new_thread_form).post(new_thread))
        .route("/t/{id}", get(show_thread))
        .route("/t/{id}/{slug}", get(show_thread_with_slug))
        .route("/t/{id}/last", get(last_post))
        .route("/t/{id}/unread", get(first_unread))
        .route("/t/{id}/read", post(read))
        .route("/t/{id}/reply", get(reply_form).post(reply))
}

/// Two round trips: the domain with most of what is beside its list; then the list (which needs
/// the viewer's standing, to show hidden threads to facilitators) and the recent practice
/// reports, side by side, with a member's Unread and New counts beside them. A member's Unread
/// or New view lists those threads instead of the latest. A member's account is checked beside
/// the first, after the session: three in all.
async fn domain(
    State(state): State<AppState>,
    arrival: Arrival,
    Path(slug): Path<Slug>,
    Query(query): Query<ListQuery>,
) -> Result<DomainPage> {
    let before = query.cursor()?;
    let (db, slug) = (&state.db, &slug);
    let (visitor, head) = arrival
        .read_beside(&state, |viewer_id| async move {
            Ok(super::queries::domain_head(db, slug, viewer_id).await?)
        })
        .await?;
    let head = head.ok_or(AppError::NotFound)?;
    let viewer = visitor.page.user.as_ref();
    let domain = head.domain;
    let access = domain.access(viewer);
    access.require_read()?;
    // A visitor has no reading to follow: they see the latest threads.
    let view = viewer.map_or(View::Latest, |_| query.view);
    let list = async {
        match (viewer, view.tracked()) {
            (Some(user), Some(tracked)) => {
                let scope = Scope::Domain(domain.id);
                reading::threads(&state.db, user.id, tracked, scope, before).await
            }
            _ => {
                let moderating = access.can_moderate();
                let viewer_id = viewer.map(|u| u.id);
                queries::domain_threads(&state.generic_db, domain.id, before, moderating, viewer_id)
                    .await
            }
        }
    };
    let counts = async {
        match viewer {
            Some(user) => reading::counts(&state.generic_db, user.id, Scope::Domain(domain.id))
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    // The latest threads, the reports and the counts keep one generic plan each: each was
    // planned again on every call (the list 0.9–1.6 ms of planning for 0.3–1.2 ms of work, the
    // reports 0.72 ms for 0.12, the counts 1.1 for 0.9), and their generic plans run as fast.
    // The tracked lists keep custom plans, which were several times faster than generic ones
    // at a million posts.
    let (listed, reports, counts) = tokio::try_join!(
        list,
        integrate::queries::recent_in_domain(&state.generic_db, domain.id, 5),
        counts,
    )?;
    let (pinned, threads): (Vec<_>, Vec<_>) = listed.into_iter().partition(|t| t.pinned);
    let older = reading::older(&threads);
    let tabs = counts.map(|counts| Tabs {
        base: format!("/d/{}", domain.slug),
        view,
        counts,
        domain: Some(domain.slug.clone()),
    });
    let watch_level = viewer.map(|_| {
        head.watch_level
            .as_deref()
            .and_then(Level::parse)
            .unwrap_or(Level::Tracking)
    });
    Ok(DomainPage {
        watch_level,
        introductions: head.introductions.map(|i| i.0),
        repertoire: head.repertoire.0,
        reports,
        spotlight: head.spotlight.0,
        page: visitor.page,
        domain,
        access,
        pinned,
        threads,
        older,
        is_first_page: before.is_none(),
        tabs,
    })
}

async fn new_thread_form(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<ComposerPage> {
    let domain = queries::domain_by_slug(&state.db, &slug, Some(&member.user))
        .await?
        .ok_or(AppError::NotFound)?;
    domain.access(Some(&member.user)).require_post()?;
    let draft = drafts::load(&state.db, member.user.id, Slot::NewThread(domain.id)).await?;
    Ok(ComposerPage::new_thread(
        member.page,
        &domain.slug,
        &domain.name,
        ComposeForm::default(),
    )
    .restore(draft))
}

/// Members of the domain whose expertise the question mentions, shown beside the composer.
async fn suggestions(
    state: &AppState,
    domain_id: i64,
    asker: i64,
    form: &ComposeForm,
) -> Result<Vec<SuggestedMember>> {
    if form.title.trim().is_empty() && form.body.trim().is_empty() {
        return Ok(Vec::new());
    }
    let text = format!("{} {}", form.title, form.body);
    Ok(suggest_experts(&state.db, domain_id, asker, &text).await?)
}

async fn new_thread(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    FormWithFiles { mut form, files }: FormWithFiles<ComposeForm>,
) -> Result<Response> {
    let domain = queries::domain_by_slug(&state.db, &slug, Some(&member.user))
        .await?
        .ok_or(AppError::NotFound)?;
    domain.access(Some(&member.user)).require_post()?;
    let mut errors = FieldErrors::default();
    let attached = (state.uploads)
        .attach(
            &state.db,
            member.user.id,
            domain.id,
            files,
            &mut form.body,
            &mut errors,
        )
        .await?;
    let title = errors.check("title", Title::parse(&form.title));
    let kind = errors.check("kind", ThreadKind::parse(&form.kind));
    let tags = errors.check("tags", crate::forum::tags::parse(&form.tags));
    let body = errors.check("body", Body::parse(&form.body));
    let poll = polls::parse(
        &form.poll_options,
        form.poll_multiple == "on",
        &form.poll_closes,
        time::OffsetDateTime::now_utc(),
        &mut errors,
    );
    let (Some(title), Some(kind), Some(tags), Some(body), false, true) = (
        title,
        kind,
        tags,
        body,
        form.wants_preview(),
        errors.is_empty(),
    ) else {
        keep_draft(&state, &member, Slot::NewThread(domain.id), &form).await?;
        let experts = suggestions(&state, domain.id, member.user.id, &form).await?;
        let mut page = ComposerPage::new_thread(member.page, &domain.slug, &domain.name, form)
            .attached(attached)
            .with(&state, errors)
            .await?;
        page.experts = experts;
        return Ok(page.answer());
    };
    let mut tx = state.db.begin().await?;
    let repeat = submission::answer_repeat(&mut tx, &member.session, member.user.id, &form.key);
    if let Some(answer) = repeat.await? {
        return Ok(answer);
    }
    let written = queries::create_thread(
        &mut tx,
        domain.id,
        member.user.id,
        title.as_str(),
        kind.as_str(),
        &tags,
        body.as_str(),
    )
    .await?;
    if let Some(poll) = &poll {
        polls::create(&mut tx, written.post_id, poll).await?;
    }
    let target = format!("/t/{}", written.thread_id);
    super::queries::thread_started(&mut tx, &written, domain.id, &form.key, &target).await?;
    tx.commit().await?;
    Ok(Redirect::to(&target).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ThreadQuery {
    from: Option<String>,
}

/// "Jump to the last post": the newest post, on the page that holds it.
async fn last_post(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<ThreadId>,
) -> Result<Redirect> {
    let thread = lookup::readable_thread(&state.db, id.0, visitor.page.user.as_ref()).await?;
    let last = queries::last_post_id(&state.db, thread.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/p/{last}")))
}

/// Where a list's link to a thread with unread posts goes: the first of them, or the thread's
/// start for a visitor or a member who has read everything.
async fn first_unread(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<ThreadId>,
) -> Result<Redirect> {
    let viewer = visitor.page.user.as_ref();
    let thread = lookup::readable_thread(&state.db, id.0, viewer).await?;
    let unread = match viewer {
        Some(user) => reading::first_unread(&state.db, user.id, thread.id).await?,
        None => None,
    };
    Ok(Redirect::to(&match unread {
        Some(post) => format!("/p/{post}"),
        None => format!("/t/{}", thread.id),
    }))
}

#[derive(Deserialize)]
struct ReadForm {
    post: i64,
}

/// The script's report of the last post a member scrolled past.
async fn read(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Form(form): Form<ReadForm>,
) -> Result<StatusCode> {
    let thread = lookup::readable_thread(&state.db, id.0, Some(&member.user)).await?;
    let number = reading::number_of(&state.db, thread.id, form.post)
        .await?
        .ok_or(AppError::NotFound)?;
    reading::mark_read(&state.db, member.user.id, thread.id, number, form.post).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show_thread_with_slug(
    state: State<AppState>,
    arrival: Arrival,
    headers: HeaderMap,
    Path((id, _slug)): Path<(ThreadId, String)>,
    query: Query<ThreadQuery>,
) -> Result<ThreadPage> {
    show_thread(state, arrival, headers, Path(id), query).await
}

/// One round trip for a visitor, whatever the page: the thread, its posts and the previous
/// page's start side by side. A signed-in viewer adds the session lookup, and their account is
/// checked beside the rest; a moderator adds the domains a thread could move to.
async fn show_thread(
    State(state): State<AppState>,
    arrival: Arrival,
    headers: HeaderMap,
    Path(id): Path<ThreadId>,
    Query(query): Query<ThreadQuery>,
) -> Result<ThreadPage> {
    let from = query.from.as_deref();
    let (visitor, read) = arrival
        .read_beside(&state, |viewer_id| {
            read_thread_page(&state, id.0, from, viewer_id)
        })
        .await?;
    let PageRead {
        head,
        mut posts,
        previous,
    } = read;
    let viewer = visitor.page.user.as_ref();
    let head = head
        .filter(|h| h.thread.readable_by(viewer))
        .ok_or(AppError::NotFound)?;
    let before = match posts.first() {
        Some(first) => i64::from(first.post.number) - 1,
        None => return Err(AppError::NotFound),
    };
    let thread = head.thread;
    let next = take_beyond(&mut posts, POSTS_PER_PAGE).map(|p| p.post.id);
    let access = thread.access(viewer);
    let level = viewer.and_then(|_| Level::parse(&head.watch_level));
    let marks = PageMarks::gather(level, &posts);
    let views: Vec<PostView> = posts
        .into_iter()
        .map(|marked| PostView::new(marked.post, viewer, access))
        .collect();
    let move_targets = match viewer.filter(|_| access.can_moderate()) {
        Some(user) => queries::facilitated_domains(&state.db, user, thread.domain_id).await?,
        None => Vec::new(),
    };
    let read_number = head.read_number.map_or(0, i64::from);
    if let (Some(user), Some(last)) = (viewer, views.last().map(|v| &v.post)) {
        // A page view reads every post it shows, unless the browser's script reports the posts
        // scrolled past instead. Written to the primary: this page may have been read from a
        // replica.
        let number = i64::from(last.number);
        if number > read_number && !reading::reads_by_scrolling(&headers) {
            reading::mark_read(&state.primary, user.id, thread.id, number, last.id).await?;
        }
    }
    let mut reports = head.reports.0;
    let more_reports = take_beyond(&mut reports, integrate::queries::NEWEST_SHOWN).is_some();
    Ok(ThreadPage {
        move_targets,
        reports,
        more_reports,
        tally: Tally::from_counts(&head.report_tally),
        marks,
        reply: ComposeForm {
            body: head.draft_body.unwrap_or_default(),
            ..ComposeForm::default()
        },
        read_number,
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

/// What a thread page reads for `viewer_id`, whose marks the posts carry.
struct PageRead {
    head: Option<ThreadHead>,
    posts: Vec<MarkedPost>,
    previous: Option<i64>,
}

/// The thread, the page of posts holding `from` (the first page without it) and the previous
/// page's start, side by side: posts are numbered, so each finds its page by key. A `from` that
/// is not a page start (a hand-edited link) shows the page that holds it. The posts may have
/// been kept from an earlier view (`cached_posts`).
async fn read_thread_page(
    state: &AppState,
    thread_id: i64,
    from: Option<&str>,
    viewer_id: Option<i64>,
) -> Result<PageRead> {
    let from = from
        .map(parse_id)
        .transpose()
        .map_err(|_| AppError::BadRequest("That page link is damaged.".into()))?;
    let db = &state.db;
    let previous = async {
        match from {
            Some(from) => queries::previous_page_start(db, thread_id, from).await,
            None => Ok(None),
        }
    };
    let (head, posts, previous) = tokio::try_join!(
        super::queries::thread_head(db, thread_id, viewer_id),
        state
            .posts
            .page(db, &state.metrics, thread_id, from, viewer_id),
        previous,
    )?;
    Ok(PageRead {
        head,
        posts,
        previous,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyQuery {
    quote: Option<String>,
}

async fn reply_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    Query(query): Query<ReplyQuery>,
) -> Result<ComposerPage> {
    let thread = replyable_thread(&state, id, &member.user).await?;
    let draft = drafts::load(&state.db, member.user.id, Slot::Reply(thread.id)).await?;
    let mut composer = ComposerPage::reply(member.page, &thread, ComposeForm::default());
    composer = composer.restore(draft);
    if let Some(raw) = query.quote.as_deref() {
        let quoted = queries::post(&state.db, parse_id(raw)?)
            .await?
            .filter(|p| p.thread_id == thread.id && p.deleted_at.is_none() && !p.hidden)
            .ok_or(AppError::NotFound)?;
        // A quotation joins the draft, as Discourse's composer adds it to what is there.
        let body = &mut composer.form.body;
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(&quote(&quoted));
    }
    Ok(composer)
}

/// A Markdown quotation of a post, crediting its author with a link back to it.
fn quote(post: &PostSource) -> String {
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
    arrival: Arrival,
    uri: Uri,
    Path(id): Path<ThreadId>,
    FormWithFiles { mut form, files }: FormWithFiles<ComposeForm>,
) -> Result<Response> {
    let (member, thread) = lookup::readable_thread_for_member(&state, arrival, &uri, id.0).await?;
    require_replyable(&thread, &member.user)?;
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
    let body = errors.check("body", Body::parse(&form.body));
    let (Some(body), false, true) = (body, form.wants_preview(), errors.is_empty()) else {
        keep_draft(&state, &member, Slot::Reply(thread.id), &form).await?;
        return Ok(ComposerPage::reply(member.page, &thread, form)
            .attached(attached)
            .with(&state, errors)
            .await?
            .answer());
    };
    // Rendered before the thread row is locked: replies to one thread take turns on that row
    // until they commit, and rendering is the longest step.
    let rendered = queries::render_with_mentions(&state.db, body.as_str()).await?;
    let user = member.user.id;
    let posted = super::queries::post_reply(
        &state.db,
        thread.id,
        user,
        body.as_str(),
        rendered,
        &form.key,
    );
    match posted.await? {
        Reply::Written(target) => Ok(Redirect::to(&target).into_response()),
        Reply::Repeat => {
            let mut db = state.db.acquire().await?;
            submission::answer_as_repeat(&mut db, &member.session, user, &form.key).await
        }
        Reply::Locked => {
            errors.add("body", "This thread was locked while you wrote; your reply was not posted. Copy it if you want to keep it.");
            Ok(ComposerPage::reply(member.page, &thread, form)
                .with(&state, errors)
                .await?
                .answer_with(StatusCode::FORBIDDEN))
        }
    }
}

/// Previewing (or being sent back to fix something) keeps the text as the member's draft, so
/// it survives leaving the page even without a script.
async fn keep_draft(
    state: &AppState,
    member: &Member,
    slot: Slot,
    form: &ComposeForm,
) -> Result<()> {
    let draft = Draft {
        title: form.title.clone(),
        kind: form.kind.clone(),
        body: form.body.clone(),
        updated_at: None,
    };
    match drafts::save(
        &state.db,
        member.user.id,
        slot,
        &draft,
        &form.key.to_string(),
    )
    .await
    {
        // Too long to keep: the form comes back with the length named all the same.
        Err(AppError::BadRequest(_)) => Ok(()),
        other => other,
    }
}

/// A thread this member may reply to: readable, they may post in its domain, and not locked.
async fn replyable_thread(state: &AppState, id: ThreadId, user: &CurrentUser) -> Result<Thread> {
    let thread = lookup::readable_thread(&state.db, id.0, Some(user)).await?;
    require_replyable(&thread, user)?;
    Ok(thread)
}

/// Whether this member may reply to a thread they may read.
fn require_replyable(thread: &Thread, user: &CurrentUser) -> Result<()> {
    thread.access(Some(user)).require_post()?;
    if thread.locked {
        return Err(AppError::Forbidden(
            "This thread is locked: it takes no more replies.",
        ));
    }
    Ok(())
}
