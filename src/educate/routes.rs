//! Educate's routes: the repertoire (`/d/{slug}/repertoire`, `/r/{id}`) and `/search`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::fields;
use super::queries::{self, EntryCursor, NewEntry, Order, ENTRIES_PER_PAGE};
use super::views::{EntryForm, EntryFormPage, EntryPage, EntryRevisionsPage, RepertoirePage};
use crate::auth::{Arrival, Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::fields::Slug;
use crate::forum::fields::{parse_id, Body, Title, MAX_BODY_CHARS};
use crate::forum::lookup::{
    readable_domain, readable_domain_by_id, readable_domain_on_arrival, readable_thread_of_post,
};
use crate::forum::queries::{self as forum, Domain, Saved};
use crate::forum::views::EditConflict;
use crate::integrate::queries as integrate;
use crate::web::path::EntryId;
use crate::web::submission;
use crate::web::{take_beyond, CurrentUser, FieldErrors, FormWithFiles, PageContext, Path, Query};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(super::search::search))
        .route("/d/{slug}/repertoire", get(repertoire))
        .route(
            "/d/{slug}/repertoire/new",
            get(new_entry_form).post(new_entry),
        )
        .route("/r/{id}", get(show_entry))
        .route("/r/{id}/edit", get(edit_form).post(edit))
        .route("/r/{id}/revisions", get(revisions))
        .merge(super::upkeep::routes::router())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    kind: String,
    tag: String,
    sort: String,
    after: Option<String>,
}

/// Two round trips for a visitor: the domain; then the entries, the kind and tag counts and
/// (for a member) whether they steward any, side by side. A member's account is checked beside
/// the first, after the session.
async fn repertoire(
    State(state): State<AppState>,
    arrival: Arrival,
    Path(slug): Path<Slug>,
    Query(query): Query<ListQuery>,
) -> Result<RepertoirePage> {
    let kind = fields::EntryKind::parse(&query.kind)
        .ok()
        .map(|k| k.as_str().to_string());
    let tag = Some(query.tag.trim().to_lowercase()).filter(|t| !t.is_empty());
    let order = if query.sort == "applied" {
        Order::MostApplied
    } else {
        Order::Newest
    };
    let after = match query.after.as_deref() {
        Some(raw) => Some(
            EntryCursor::parse(raw)
                .ok_or_else(|| AppError::BadRequest("That page link is damaged.".into()))?,
        ),
        None => None,
    };
    let (visitor, domain) = readable_domain_on_arrival(&state, arrival, &slug).await?;
    let viewer = visitor.page.user.as_ref();
    let db = &state.db;
    let is_steward = async {
        match viewer {
            Some(user) => super::upkeep::queries::stewards_in(db, domain.id, user.id).await,
            None => Ok(false),
        }
    };
    let (entries, (kind_counts, tag_counts), is_steward) = tokio::try_join!(
        queries::entries(db, domain.id, kind.as_deref(), tag.as_deref(), order, after),
        queries::counts(db, domain.id),
        is_steward,
    )?;
    let next = (entries.len() as i64 == ENTRIES_PER_PAGE)
        .then(|| entries.last())
        .flatten()
        .map(|e| EntryCursor::after(e, order).encode());
    Ok(RepertoirePage {
        can_review: super::policy::may_see_review_queue(viewer, &domain, is_steward).is_ok(),
        can_write: domain.access(viewer).can_post(),
        page: visitor.page,
        domain,
        kind,
        tag,
        most_applied: order == Order::MostApplied,
        kind_counts,
        tag_counts,
        entries,
        next,
    })
}

/// A post being promoted, checked: readable by this member, in this domain, and theirs to
/// promote (its author, or a facilitator of the domain).
struct Source {
    thread_id: i64,
    post_id: i64,
    thread_title: String,
}

async fn promotable_source(
    state: &AppState,
    raw: &str,
    domain: &Domain,
    user: &CurrentUser,
) -> Result<Source> {
    let post_id = parse_id(raw)?;
    let viewer = Some(user);
    let thread = readable_thread_of_post(&state.db, post_id, viewer).await?;
    let post = forum::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::policy::may_promote(viewer, &thread, &post)?;
    if thread.domain_id != domain.id {
        return Err(AppError::BadRequest(
            "That post belongs to another domain's repertoire.".into(),
        ));
    }
    Ok(Source {
        thread_id: thread.id,
        post_id,
        thread_title: thread.title,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FromQuery {
    from: String,
}

async fn new_entry_form(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    Query(query): Query<FromQuery>,
) -> Result<EntryFormPage> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    // No kind is chosen for the curator: a story, a tool and a how-to are different things.
    let mut form = EntryForm::default();
    let mut source_title = None;
    if !query.from.is_empty() {
        let source = promotable_source(&state, &query.from, &domain, &member.user).await?;
        let post = forum::post(&state.db, source.post_id)
            .await?
            .ok_or(AppError::NotFound)?;
        // A question's title is not the name of what answered it; the curator names that.
        if !source.thread_title.trim_end().ends_with('?') {
            form.title = source.thread_title.clone();
        }
        form.body = crate::markdown::without_quotes_and_mentions(&post.body_md);
        form.summary = crate::markdown::plain_excerpt(&form.body, 200);
        form.from = source.post_id.to_string();
        source_title = Some(source.thread_title);
    }
    Ok(entry_form_page(
        member.page,
        domain,
        source_title,
        form,
        FieldErrors::default(),
    ))
}

fn entry_form_page(
    page: PageContext,
    domain: Domain,
    source_title: Option<String>,
    form: EntryForm,
    errors: FieldErrors,
) -> EntryFormPage {
    EntryFormPage {
        page,
        heading: if source_title.is_some() {
            "Add to the repertoire".into()
        } else {
            format!("New entry in {}", domain.name)
        },
        action: format!("/d/{}/repertoire/new", domain.slug),
        cancel: format!("/d/{}/repertoire", domain.slug),
        domain,
        source_title,
        form,
        errors,
        conflict: None,
    }
}

/// The checked content of an entry form.
struct Checked {
    kind: fields::EntryKind,
    title: Title,
    summary: String,
    tags: Vec<String>,
}

fn check(form: &EntryForm, errors: &mut FieldErrors) -> Option<Checked> {
    let kind = errors.check("kind", fields::EntryKind::parse(&form.kind));
    let title = errors.check("title", Title::parse(&form.title));
    let summary = errors.check("summary", fields::summary(&form.summary));
    if form.body.chars().count() > MAX_BODY_CHARS {
        errors.check("body", Body::parse(&form.body));
    }
    if form.summary.trim().is_empty() && form.body.trim().is_empty() {
        errors.add("summary", "Write a summary, the body, or both.");
    }
    let tags = errors.check("tags", crate::forum::tags::parse(&form.tags));
    match (kind, title, summary, tags) {
        (Some(kind), Some(title), Some(summary), Some(tags)) if errors.is_empty() => {
            Some(Checked {
                kind,
                title,
                summary,
                tags,
            })
        }
        _ => None,
    }
}

async fn new_entry(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    FormWithFiles { mut form, files }: FormWithFiles<EntryForm>,
) -> Result<Response> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    let source = if form.from.is_empty() {
        None
    } else {
        Some(promotable_source(&state, &form.from, &domain, &member.user).await?)
    };
    let mut errors = FieldErrors::default();
    (state.uploads)
        .attach(
            &state.db,
            member.user.id,
            domain.id,
            files,
            &mut form.body,
            &mut errors,
        )
        .await?;
    let (Some(checked), true) = (check(&form, &mut errors), errors.is_empty()) else {
        let source_title = source.map(|s| s.thread_title);
        let page = entry_form_page(member.page, domain, source_title, form, errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let mut tx = state.db.begin().await?;
    let repeat = submission::answer_repeat(&mut tx, &member.session, member.user.id, &form.key);
    if let Some(answer) = repeat.await? {
        return Ok(answer);
    }
    let id = queries::create(
        &mut tx,
        NewEntry {
            domain_id: domain.id,
            kind: checked.kind,
            title: checked.title.as_str(),
            summary: &checked.summary,
            body_md: &form.body,
            tags: &checked.tags,
            source_thread_id: source.as_ref().map(|s| s.thread_id),
            source_post_id: source.as_ref().map(|s| s.post_id),
            curated_by: member.user.id,
        },
    )
    .await?;
    let target = format!("/r/{id}");
    submission::complete(&mut tx, member.user.id, &form.key, &target).await?;
    tx.commit().await?;
    Ok(Redirect::to(&target).into_response())
}

/// An entry with its domain, if the viewer may read the domain.
pub(crate) async fn readable_entry(
    state: &AppState,
    id: EntryId,
    viewer: Option<&CurrentUser>,
) -> Result<(queries::Entry, Domain)> {
    let entry = queries::entry(&state.db, id.0, viewer.map(|v| v.id))
        .await?
        .ok_or(AppError::NotFound)?;
    let domain = readable_domain_by_id(&state.db, entry.domain_id, viewer).await?;
    Ok((entry, domain))
}

fn can_edit(entry: &queries::Entry, domain: &Domain, user: Option<&CurrentUser>) -> bool {
    let access = domain.access(user);
    access.can_post()
        && (user.is_some_and(|u| Some(u.id) == entry.curated_by) || access.can_moderate())
}

async fn show_entry(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<EntryId>,
) -> Result<EntryPage> {
    let viewer = visitor.page.user.as_ref();
    let (entry, domain) = readable_entry(&state, id, viewer).await?;
    let (mut reports, learnings, history) = tokio::try_join!(
        integrate::entry_reports(&state.db, entry.id, None, integrate::NEWEST_SHOWN + 1),
        integrate::learnings(&state.db, entry.id),
        super::upkeep::queries::history(&state.db, entry.id),
    )?;
    let more_reports = take_beyond(&mut reports, integrate::NEWEST_SHOWN).is_some();
    let access = domain.access(viewer);
    Ok(EntryPage {
        can_keep: super::policy::may_keep(viewer, entry.steward_id, &domain).is_ok(),
        history,
        can_edit: can_edit(&entry, &domain, viewer),
        can_report: access.can_post(),
        can_moderate: access.can_moderate(),
        today: time::OffsetDateTime::now_utc().date().to_string(),
        page: visitor.page,
        domain,
        entry,
        reports,
        more_reports,
        learnings,
    })
}

async fn editable_entry(
    state: &AppState,
    id: EntryId,
    user: &CurrentUser,
) -> Result<(queries::Entry, Domain)> {
    let (entry, domain) = readable_entry(state, id, Some(user)).await?;
    if !can_edit(&entry, &domain, Some(user)) {
        return Err(AppError::Forbidden(
            "Only the entry's curator or a facilitator can edit it.",
        ));
    }
    Ok((entry, domain))
}

async fn edit_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
) -> Result<EntryFormPage> {
    let (entry, domain) = editable_entry(&state, id, &member.user).await?;
    let form = EntryForm {
        kind: entry.kind.clone(),
        title: entry.title.clone(),
        summary: entry.summary.clone(),
        body: entry.body_md.clone(),
        tags: entry.tags.join(", "),
        version: entry.version,
        ..EntryForm::default()
    };
    Ok(edit_page(
        member.page,
        domain,
        &entry,
        form,
        FieldErrors::default(),
    ))
}

fn edit_page(
    page: PageContext,
    domain: Domain,
    entry: &queries::Entry,
    form: EntryForm,
    errors: FieldErrors,
) -> EntryFormPage {
    EntryFormPage {
        page,
        domain,
        heading: "Edit entry".into(),
        action: format!("/r/{}/edit", entry.id),
        cancel: format!("/r/{}", entry.id),
        source_title: None,
        form,
        errors,
        conflict: None,
    }
}

async fn edit(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
    FormWithFiles { mut form, files }: FormWithFiles<EntryForm>,
) -> Result<Response> {
    let (entry, domain) = editable_entry(&state, id, &member.user).await?;
    let mut errors = FieldErrors::default();
    (state.uploads)
        .attach(
            &state.db,
            member.user.id,
            domain.id,
            files,
            &mut form.body,
            &mut errors,
        )
        .await?;
    let (Some(checked), true) = (check(&form, &mut errors), errors.is_empty()) else {
        let page = edit_page(member.page, domain, &entry, form, errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let saved = queries::update(
        &state.db,
        entry.id,
        form.version,
        member.user.id,
        NewEntry {
            domain_id: domain.id,
            kind: checked.kind,
            title: checked.title.as_str(),
            summary: &checked.summary,
            body_md: &form.body,
            tags: &checked.tags,
            source_thread_id: entry.source_thread_id,
            source_post_id: entry.source_post_id,
            curated_by: entry.curated_by.unwrap_or(member.user.id),
        },
    )
    .await?;
    if saved == Saved::Stale {
        return edit_conflict(&state, member.page, domain, id, form).await;
    }
    Ok(Redirect::to(&format!("/r/{}", entry.id)).into_response())
}

/// 409: the form again with the member's text, beside the version saved meanwhile; the form now
/// carries that version, so saving again replaces it knowingly.
async fn edit_conflict(
    state: &AppState,
    page: PageContext,
    domain: Domain,
    id: EntryId,
    mut form: EntryForm,
) -> Result<Response> {
    let saved = queries::entry(&state.db, id.0, page.user.as_ref().map(|u| u.id))
        .await?
        .ok_or(AppError::NotFound)?;
    form.version = saved.version;
    let mut edit = edit_page(page, domain, &saved, form, FieldErrors::default());
    edit.conflict = Some(EditConflict {
        saved_at: saved.updated_at,
        title: Some(saved.title),
        summary: Some(saved.summary),
        body_md: saved.body_md,
        body_html: saved.body_html,
    });
    Ok((StatusCode::CONFLICT, edit).into_response())
}

async fn revisions(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<EntryId>,
) -> Result<EntryRevisionsPage> {
    let (entry, _) = readable_entry(&state, id, visitor.page.user.as_ref()).await?;
    let revisions = queries::revisions(&state.db, entry.id).await?;
    Ok(EntryRevisionsPage {
        page: visitor.page,
        entry,
        revisions,
    })
}
