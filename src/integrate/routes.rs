//! Integrate's routes: reporting back on entries and threads, editing reports, folding a report
//! into its entry, commitments.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::fields::{ReportContent, MAX_FIELD_CHARS};
use super::queries::{self, Report, Subject};
use super::views::{
    CommitForm, CommitFormPage, CommitmentsPage, EntryReportsPage, ReportForm, ReportFormPage,
    ThreadReportsPage,
};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::access::Access;
use crate::forum::lookup::{readable_domain_by_id, readable_thread};
use crate::web::path::{EntryId, ReportId, ThreadId};
use crate::web::submission;
use crate::web::{
    flash, flash_and_redirect, take_beyond, CurrentUser, FieldErrors, FlashKind, Form, PageContext,
    Path, Query,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/r/{id}/report", get(entry_report_form).post(entry_report))
        .route(
            "/t/{id}/report",
            get(thread_report_form).post(thread_report),
        )
        .route("/t/{id}/reports", get(thread_reports))
        .route("/r/{id}/reports", get(entry_reports))
        .route("/reports/{id}/edit", get(edit_form).post(edit))
        .route("/reports/{id}/incorporate", post(incorporate))
        .route("/r/{id}/commit", get(commit_form).post(commit))
        .route("/me/commitments", get(commitments))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportsQuery {
    /// The report the page starts at (none: the newest).
    from: Option<i64>,
}

/// Every report on a thread (and on the entries made from it), a page at a time: its own page
/// shows only the newest. A page that starts at no report of the thread is not found.
async fn thread_reports(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<ThreadId>,
    Query(query): Query<ReportsQuery>,
) -> Result<ThreadReportsPage> {
    let thread = readable_thread(&state.db, id.0, visitor.page.user.as_ref()).await?;
    let mut reports = queries::thread_reports(&state.db, thread.id, query.from).await?;
    let next = one_page(&mut reports, query.from)?;
    Ok(ThreadReportsPage {
        page: visitor.page,
        thread_id: thread.id,
        thread_title: thread.title,
        reports,
        is_first_page: query.from.is_none(),
        next,
    })
}

/// Every report on a repertoire entry, a page at a time (its own page shows only the newest),
/// with "Add to What we learned" for its domain's facilitators.
async fn entry_reports(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<EntryId>,
    Query(query): Query<ReportsQuery>,
) -> Result<EntryReportsPage> {
    let viewer = visitor.page.user.as_ref();
    let (entry, domain) = crate::educate::routes::readable_entry(&state, id, viewer).await?;
    let limit = queries::REPORTS_PER_PAGE + 1;
    let mut reports = queries::entry_reports(&state.db, entry.id, query.from, limit).await?;
    let next = one_page(&mut reports, query.from)?;
    Ok(EntryReportsPage {
        can_moderate: domain.access(viewer).can_moderate(),
        page: visitor.page,
        entry_id: entry.id,
        entry_title: entry.title,
        reports,
        is_first_page: query.from.is_none(),
        next,
    })
}

/// A reports page read with one report to spare, cut to its length: the report that starts
/// the next page, if any. A page asked to start at a report it does not begin with (another
/// subject's, or none) is not found.
fn one_page(reports: &mut Vec<Report>, from: Option<i64>) -> Result<Option<i64>> {
    if from.is_some_and(|from| reports.first().map(|r| r.id) != Some(from)) {
        return Err(AppError::NotFound);
    }
    Ok(take_beyond(reports, queries::REPORTS_PER_PAGE).map(|r| r.id))
}

/// What is being reported on, after checking the member may report there.
struct Target {
    subject: Subject,
    title: String,
    href: String,
    access: Access,
}

async fn entry_target(state: &AppState, id: EntryId, user: &CurrentUser) -> Result<Target> {
    let entry = crate::educate::queries::entry(&state.db, id.0, Some(user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    let access = domain_access(state, entry.domain_id, user).await?;
    Ok(Target {
        subject: Subject::Entry(entry.id),
        href: format!("/r/{}", entry.id),
        title: entry.title,
        access,
    })
}

async fn thread_target(state: &AppState, id: ThreadId, user: &CurrentUser) -> Result<Target> {
    let viewer = Some(user);
    let thread = readable_thread(&state.db, id.0, viewer).await?;
    Ok(Target {
        subject: Subject::Thread(thread.id),
        href: format!("/t/{}", thread.id),
        access: thread.access(viewer),
        title: thread.title,
    })
}

/// The member's access to a domain by id: 404 if they cannot read it.
async fn domain_access(state: &AppState, domain_id: i64, user: &CurrentUser) -> Result<Access> {
    let domain = readable_domain_by_id(&state.db, domain_id, Some(user)).await?;
    Ok(domain.access(Some(user)))
}

fn form_page(
    page: PageContext,
    target: &Target,
    action: String,
    form: ReportForm,
    errors: FieldErrors,
) -> ReportFormPage {
    ReportFormPage {
        page,
        heading: "Report back: I applied this".into(),
        subject_title: target.title.clone(),
        action,
        back: target.href.clone(),
        form,
        errors,
    }
}

async fn entry_report_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
) -> Result<ReportFormPage> {
    let target = entry_target(&state, id, &member.user).await?;
    show_form(member, target, format!("/r/{id}/report"))
}

async fn thread_report_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
) -> Result<ReportFormPage> {
    let target = thread_target(&state, id, &member.user).await?;
    show_form(member, target, format!("/t/{id}/report"))
}

fn show_form(member: Member, target: Target, action: String) -> Result<ReportFormPage> {
    target.access.require_post()?;
    Ok(form_page(
        member.page,
        &target,
        action,
        ReportForm::default(),
        FieldErrors::default(),
    ))
}

async fn entry_report(
    state: State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
    form: Form<ReportForm>,
) -> Result<Response> {
    let target = entry_target(&state, id, &member.user).await?;
    file_report(state, member, target, format!("/r/{id}/report"), form).await
}

async fn thread_report(
    state: State<AppState>,
    member: Member,
    Path(id): Path<ThreadId>,
    form: Form<ReportForm>,
) -> Result<Response> {
    let target = thread_target(&state, id, &member.user).await?;
    file_report(state, member, target, format!("/t/{id}/report"), form).await
}

/// The report as sent, or the problems beside their fields.
fn parse(form: &ReportForm) -> std::result::Result<ReportContent<'_>, FieldErrors> {
    ReportContent::parse(&form.input()).map_err(|problems| FieldErrors::from_problems(&problems))
}

async fn file_report(
    State(state): State<AppState>,
    member: Member,
    target: Target,
    action: String,
    Form(form): Form<ReportForm>,
) -> Result<Response> {
    target.access.require_post()?;
    let content = match parse(&form) {
        Ok(content) => content,
        Err(errors) => {
            let page = form_page(member.page, &target, action, form, errors);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = state.db.begin().await?;
    let repeat = submission::answer_repeat(&mut tx, &member.session, member.user.id, &form.key);
    if let Some(answer) = repeat.await? {
        return Ok(answer);
    }
    let id = queries::file(&mut tx, target.subject, member.user.id, content, None).await?;
    let filed = format!("{}#report-{id}", target.href);
    submission::complete(&mut tx, member.user.id, &form.key, &filed).await?;
    tx.commit().await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Thank you for reporting back. Others will learn from it.",
        &filed,
    )
    .await
}

/// A report its author may edit, with the target it is about.
async fn own_report(
    state: &AppState,
    id: ReportId,
    user: &CurrentUser,
) -> Result<(queries::Report, Target)> {
    let report = queries::report(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = match (report.entry_id, report.thread_id) {
        (Some(entry), _) => entry_target(state, EntryId(entry), user).await?,
        (None, Some(thread)) => thread_target(state, ThreadId(thread), user).await?,
        _ => return Err(AppError::NotFound),
    };
    if report.author_id != user.id {
        return Err(AppError::Forbidden(
            "Only its author can edit a practice report.",
        ));
    }
    target.access.require_not_banned()?;
    Ok((report, target))
}

async fn edit_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ReportId>,
) -> Result<ReportFormPage> {
    let (report, target) = own_report(&state, id, &member.user).await?;
    let mut form = ReportForm {
        context: report.context,
        tried: report.tried,
        outcome: report.outcome,
        reflection: report.reflection,
        ..ReportForm::default()
    };
    form.tick(&report.value_stages);
    let mut page = form_page(
        member.page,
        &target,
        format!("/reports/{id}/edit"),
        form,
        FieldErrors::default(),
    );
    page.heading = "Edit your practice report".into();
    Ok(page)
}

async fn edit(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ReportId>,
    Form(form): Form<ReportForm>,
) -> Result<Response> {
    let (report, target) = own_report(&state, id, &member.user).await?;
    let content = match parse(&form) {
        Ok(content) => content,
        Err(errors) => {
            let mut page = form_page(
                member.page,
                &target,
                format!("/reports/{id}/edit"),
                form,
                errors,
            );
            page.heading = "Edit your practice report".into();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    queries::update(&state.db, report.id, content).await?;
    Ok(Redirect::to(&report.subject_href()).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LessonForm {
    lesson: String,
}

/// A facilitator of the entry's domain folds a report into the entry's "What we learned".
async fn incorporate(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<ReportId>,
    Form(form): Form<LessonForm>,
) -> Result<Response> {
    let report = queries::report(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let entry_id = report.entry_id.ok_or_else(|| {
        AppError::BadRequest("Only reports on repertoire entries can update an entry.".into())
    })?;
    let entry = crate::educate::queries::entry(&state.db, entry_id, Some(member.user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    let access = domain_access(&state, entry.domain_id, &member.user).await?;
    if !access.can_moderate() {
        return Err(AppError::Forbidden(
            "Only the domain's facilitators can update an entry from a report.",
        ));
    }
    let lesson = form.lesson.trim();
    if lesson.is_empty() || lesson.chars().count() > MAX_FIELD_CHARS {
        return Err(AppError::BadRequest(
            "Write what was learned, in at most 4000 characters.".into(),
        ));
    }
    if queries::incorporate(&state.db, entry_id, report.id, lesson, member.user.id).await? {
        flash(
            &member.session,
            FlashKind::Success,
            "Added to “What we learned”.",
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/r/{entry_id}#learned")).into_response())
}

/// The commitment form on its own page: where the entry page's "I will try this…" leads when
/// something in it needs fixing, and a page of its own to link to.
async fn commit_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
) -> Result<CommitFormPage> {
    let target = entry_target(&state, id, &member.user).await?;
    target.access.require_post()?;
    commit_page(
        member.page,
        target,
        CommitForm::default(),
        FieldErrors::default(),
    )
}

fn commit_page(
    page: PageContext,
    target: Target,
    form: CommitForm,
    errors: FieldErrors,
) -> Result<CommitFormPage> {
    let Subject::Entry(entry_id) = target.subject else {
        return Err(AppError::NotFound);
    };
    Ok(CommitFormPage {
        page,
        entry_id,
        entry_title: target.title,
        today: OffsetDateTime::now_utc().date().to_string(),
        form,
        errors,
    })
}

/// The day by which the member will try it: a real date, today or later.
fn parse_due_on(text: &str, today: Date) -> std::result::Result<Date, &'static str> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match Date::parse(text.trim(), &format) {
        Err(_) => Err("Choose the date by which you will try it."),
        Ok(date) if date < today => Err("That date has passed: choose today or a later day."),
        Ok(date) => Ok(date),
    }
}

fn parse_intention(text: &str) -> std::result::Result<&str, &'static str> {
    let intention = text.trim();
    if intention.is_empty() {
        Err("Say what you will try.")
    } else if intention.chars().count() > 1000 {
        Err("Keep your intention to 1000 characters or fewer.")
    } else {
        Ok(intention)
    }
}

async fn commit(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
    Form(form): Form<CommitForm>,
) -> Result<Response> {
    let target = entry_target(&state, id, &member.user).await?;
    target.access.require_post()?;
    let mut errors = FieldErrors::default();
    let intention = errors.check("intention", parse_intention(&form.intention));
    let today = OffsetDateTime::now_utc().date();
    let due_on = errors.check("due_on", parse_due_on(&form.due_on, today));
    let (Some(intention), Some(due_on)) = (intention, due_on) else {
        let page = commit_page(member.page, target, form, errors)?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let entry_id = id.0;
    queries::commit(&state.db, member.user.id, entry_id, intention, due_on).await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Committed. We will remind you to report back when the day comes.",
        &format!("/r/{entry_id}"),
    )
    .await
}

async fn commitments(State(state): State<AppState>, member: Member) -> Result<CommitmentsPage> {
    let all = queries::commitments(&state.db, member.user.id).await?;
    let (fulfilled, open) = all
        .into_iter()
        .partition(|c| c.fulfilled_by_report_id.is_some());
    Ok(CommitmentsPage {
        page: member.page,
        open,
        fulfilled,
        today: OffsetDateTime::now_utc().date(),
    })
}
