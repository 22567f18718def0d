//! Cultivate's routes: `/d/{slug}/charter`, `/d/{slug}/events`, `/e/{id}`, `/d/{slug}/health`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use time::OffsetDateTime;

use super::charts::Chart;
use super::fields::{Charter, EventDetails};
use super::queries::{self, Scheduled};
use super::views::{
    CharterForm, CharterPage, EventForm, EventFormPage, EventPage, EventsPage, HealthPage,
};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::fields::Slug;
use crate::forum::lookup::{moderated_domain, readable_domain, readable_domain_by_id};
use crate::forum::queries::Domain;
use crate::moderation::log::queries::{record_in_domain, Action};
use crate::web::path::EventId;
use crate::web::submission;
use crate::web::{flash_and_redirect, CurrentUser, FieldErrors, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{slug}/charter", get(charter_form).post(save_charter))
        .route("/d/{slug}/events", get(list_events))
        .route("/d/{slug}/events/new", get(new_event_form).post(new_event))
        .route("/d/{slug}/health", get(health))
        .route("/e/{id}", get(show_event))
        .route("/e/{id}/rsvp", post(rsvp))
        .route("/e/{id}/event.ics", get(event_ics))
        .merge(super::mentoring::routes::router())
}

async fn charter_form(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<CharterPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let charter = queries::charter_md(&state.db, domain.id).await?;
    let rhythm = queries::rhythm(&state.db, domain.id).await?;
    Ok(CharterPage {
        form: CharterForm {
            charter,
            practice_focus: domain.practice_focus.clone(),
            audience: domain.audience.clone(),
            review_months: rhythm.review_months.to_string(),
            followup_days: rhythm.followup_days.to_string(),
        },
        page: member.page,
        domain,
        errors: FieldErrors::default(),
    })
}

async fn save_charter(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    Form(form): Form<CharterForm>,
) -> Result<Response> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    // A rhythm left out (an older form, a script) keeps what the domain has.
    let current = queries::rhythm(&state.db, domain.id).await?;
    let or_current = |typed: &str, current: i32| match typed.trim() {
        "" => current.to_string(),
        typed => typed.to_string(),
    };
    let parsed = (
        Charter::parse(&form.charter, &form.practice_focus, &form.audience),
        crate::cultivate::fields::Rhythm::parse(
            &or_current(&form.review_months, current.review_months),
            &or_current(&form.followup_days, current.followup_days),
        ),
    );
    let (charter, rhythm) = match parsed {
        (Ok(charter), Ok(rhythm)) => (charter, rhythm),
        (charter, rhythm) => {
            let problems: Vec<_> = [charter.err(), rhythm.err()]
                .into_iter()
                .flatten()
                .flatten()
                .collect();
            let page = CharterPage {
                page: member.page,
                domain,
                form,
                errors: FieldErrors::from_problems(&problems),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = state.db.begin().await?;
    queries::save_charter(&mut *tx, domain.id, &charter).await?;
    queries::save_rhythm(&mut *tx, domain.id, rhythm).await?;
    record_in_domain(
        &mut *tx,
        member.user.id,
        domain.id,
        Action::EditCharter,
        ("domain", domain.id),
        "",
    )
    .await?;
    tx.commit().await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "The charter is updated.",
        &format!("/d/{}", domain.slug),
    )
    .await
}

async fn list_events(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<Slug>,
) -> Result<EventsPage> {
    let viewer = visitor.page.user.as_ref();
    let domain = readable_domain(&state.db, &slug, viewer).await?;
    let (upcoming, past) = queries::domain_events(&state.db, domain.id).await?;
    Ok(EventsPage {
        can_schedule: domain.access(viewer).can_post(),
        page: visitor.page,
        domain,
        upcoming,
        past,
    })
}

async fn new_event_form(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<EventFormPage> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    Ok(EventFormPage {
        page: member.page,
        domain,
        form: EventForm::default(),
        errors: FieldErrors::default(),
    })
}

async fn new_event(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    Form(form): Form<EventForm>,
) -> Result<Response> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    let details = match EventDetails::parse(&form.input()) {
        Ok(details) => details,
        Err(problems) => {
            let errors = FieldErrors::from_problems(&problems);
            return Ok(event_form_again(member, domain, form, errors));
        }
    };
    let mut tx = state.db.begin().await?;
    let repeat = submission::answer_repeat(&mut tx, &member.session, member.user.id, &form.key);
    if let Some(answer) = repeat.await? {
        return Ok(answer);
    }
    let scheduled = queries::create_event(&mut tx, domain.id, member.user.id, &details).await?;
    let mut errors = FieldErrors::default();
    match scheduled {
        Scheduled::Created(id) => {
            let target = format!("/e/{id}");
            submission::complete(&mut tx, member.user.id, &form.key, &target).await?;
            tx.commit().await?;
            Ok(Redirect::to(&target).into_response())
        }
        Scheduled::UnknownTimeZone => {
            errors.add("time_zone", "That time zone is unknown. Use a place name such as Europe/Lisbon, America/New_York or UTC (not an offset such as UTC+3).");
            Ok(event_form_again(member, domain, form, errors))
        }
        Scheduled::EndsBeforeStart => {
            errors.add("ends", "The event must end after it starts.");
            Ok(event_form_again(member, domain, form, errors))
        }
    }
}

fn event_form_again(
    member: Member,
    domain: Domain,
    form: EventForm,
    errors: FieldErrors,
) -> Response {
    let page = EventFormPage {
        page: member.page,
        domain,
        form,
        errors,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// An event and its domain, if the viewer may read the domain.
async fn readable_event(
    state: &AppState,
    id: EventId,
    viewer: Option<&CurrentUser>,
) -> Result<(queries::Event, Domain)> {
    let event = queries::event(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let domain = readable_domain_by_id(&state.db, event.domain_id, viewer).await?;
    Ok((event, domain))
}

async fn show_event(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<EventId>,
) -> Result<EventPage> {
    let viewer = visitor.page.user.as_ref();
    let (event, domain) = readable_event(&state, id, viewer).await?;
    let my_rsvp = match viewer {
        Some(user) => queries::rsvp_of(&state.db, event.id, user.id).await?,
        None => None,
    };
    Ok(EventPage {
        can_rsvp: domain.access(viewer).can_post() && !event.is_over(),
        page: visitor.page,
        domain,
        event,
        my_rsvp,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RsvpForm {
    status: String,
}

async fn rsvp(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EventId>,
    Form(form): Form<RsvpForm>,
) -> Result<Response> {
    let (event, domain) = readable_event(&state, id, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    if !["going", "maybe", "not"].contains(&form.status.as_str()) {
        return Err(AppError::BadRequest(
            "Answer going, maybe or not going.".into(),
        ));
    }
    if !queries::rsvp(&state.db, event.id, member.user.id, &form.status).await? {
        return Err(AppError::Forbidden(
            "This event is over; it takes no more answers.",
        ));
    }
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Your answer is saved.",
        &format!("/e/{}", event.id),
    )
    .await
}

async fn event_ics(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<EventId>,
) -> Result<Response> {
    let (event, _) = readable_event(&state, id, visitor.page.user.as_ref()).await?;
    let agenda = queries::agenda_md(&state.db, event.id).await?;
    let body = super::ics::ics(
        &event,
        &state.config.base_url,
        &crate::markdown::plain_excerpt(&agenda, 2000),
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"event-{}.ics\"", event.id),
            ),
        ],
        body,
    )
        .into_response())
}

async fn health(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<HealthPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let health = queries::health(&state.db, domain.id, OffsetDateTime::now_utc()).await?;
    let series = |pick: fn(&queries::Week) -> i64| -> Vec<(String, f64)> {
        health
            .weeks
            .iter()
            .map(|w| (w.week.to_string(), pick(w) as f64))
            .collect()
    };
    let charts = vec![
        Chart::new("Members joined", &series(|w| w.joined)),
        Chart::new("Active members", &series(|w| w.active)),
        Chart::new("Threads started", &series(|w| w.threads)),
        Chart::new("Replies", &series(|w| w.replies)),
        Chart::new("Repertoire entries added", &series(|w| w.entries_added)),
        Chart::new("Repertoire entries applied", &series(|w| w.entries_applied)),
    ];
    Ok(HealthPage {
        page: member.page,
        domain,
        health,
        charts,
    })
}
