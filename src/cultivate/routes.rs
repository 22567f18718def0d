//! Cultivate's routes: `/d/{slug}/charter`, `/d/{slug}/events`, `/e/{id}`, `/d/{slug}/health`.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::charts::Chart;
use super::events::{self, NewEvent, Scheduled};
use super::views::{
    CharterForm, CharterPage, EventForm, EventFormPage, EventPage, EventsPage, HealthPage,
};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::fields::{parse_id, Title, MAX_BODY_CHARS};
use crate::forum::lookup::{moderated_domain, readable_domain, readable_domain_by_id};
use crate::forum::queries::Domain;
use crate::moderation::audit::{self, Act};
use crate::web::{flash, CurrentUser, FieldErrors, FlashKind};
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
}

async fn charter_form(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
) -> Result<CharterPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let charter: String = sqlx::query_scalar("SELECT charter_md FROM domains WHERE id = $1")
        .bind(domain.id)
        .fetch_one(&state.db)
        .await?;
    Ok(CharterPage {
        form: CharterForm {
            charter,
            practice_focus: domain.practice_focus.clone(),
            audience: domain.audience.clone(),
        },
        page: member.page,
        domain,
        errors: FieldErrors::default(),
    })
}

async fn save_charter(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
    Form(form): Form<CharterForm>,
) -> Result<Response> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let mut errors = FieldErrors::default();
    if form.charter.trim().is_empty() {
        errors.add(
            "charter",
            "A domain needs a charter: what its members share.",
        );
    } else if form.charter.chars().count() > 20_000 {
        errors.add("charter", "Keep the charter to 20 000 characters or fewer.");
    }
    for (field, value) in [
        ("practice_focus", &form.practice_focus),
        ("audience", &form.audience),
    ] {
        if value.chars().count() > 1000 {
            errors.add(field, "Keep this to 1000 characters or fewer.");
        }
    }
    if !errors.is_empty() {
        let page = CharterPage {
            page: member.page,
            domain,
            form,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE domains SET charter_md = $2, charter_html = $3, practice_focus = $4, audience = $5 WHERE id = $1")
        .bind(domain.id)
        .bind(&form.charter)
        .bind(crate::markdown::render(&form.charter))
        .bind(form.practice_focus.trim())
        .bind(form.audience.trim())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: member.user.id,
            domain_id: Some(domain.id),
            action: "edit charter",
            target_type: "domain",
            target_id: Some(domain.id),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    flash(
        &member.session,
        FlashKind::Success,
        "The charter is updated.",
    )
    .await?;
    Ok(Redirect::to(&format!("/d/{}", domain.slug)).into_response())
}

async fn list_events(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
) -> Result<EventsPage> {
    let viewer = visitor.page.user.as_ref();
    let domain = readable_domain(&state.db, &slug, viewer).await?;
    let (upcoming, past) = events::domain_events(&state.db, domain.id).await?;
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
    Path(slug): Path<String>,
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

/// `2026-12-01T18:00` (what a datetime-local input sends), seconds optional.
fn local_time(raw: &str) -> Option<PrimitiveDateTime> {
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let raw = raw.trim();
    PrimitiveDateTime::parse(raw, &minutes)
        .or_else(|_| PrimitiveDateTime::parse(raw, &seconds))
        .ok()
}

async fn new_event(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
    Form(form): Form<EventForm>,
) -> Result<Response> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    let mut errors = FieldErrors::default();
    let title = errors.check("title", Title::parse(&form.title));
    let starts = local_time(&form.starts);
    let ends = local_time(&form.ends);
    if starts.is_none() {
        errors.add("starts", "Give a start date and time.");
    }
    if ends.is_none() {
        errors.add("ends", "Give an end date and time.");
    }
    if let (Some(starts), Some(ends)) = (starts, ends) {
        if ends <= starts {
            errors.add("ends", "The event must end after it starts.");
        }
    }
    let time_zone = form.time_zone.trim();
    if time_zone.is_empty() || time_zone.len() > 64 {
        errors.add(
            "time_zone",
            "Give a time zone such as Europe/Lisbon or UTC.",
        );
    }
    let link = form.link.trim();
    let is_web_link = link.starts_with("https://") || link.starts_with("http://");
    if !link.is_empty() && !is_web_link {
        errors.add("link", "A link starts with https:// or http://.");
    }
    if form.place.chars().count() > 300 || link.chars().count() > 500 {
        errors.add(
            "place",
            "Keep the place to 300 characters and the link to 500.",
        );
    }
    if form.agenda.chars().count() > MAX_BODY_CHARS {
        errors.add("agenda", "Keep the agenda to 100 000 characters or fewer.");
    }
    let (Some(title), Some(starts), Some(ends), true) = (title, starts, ends, errors.is_empty())
    else {
        return Ok(event_form_again(member, domain, form, errors));
    };
    let scheduled = events::create(
        &state.db,
        NewEvent {
            domain_id: domain.id,
            created_by: member.user.id,
            title: title.as_str(),
            local_start: starts,
            local_end: ends,
            time_zone,
            place: form.place.trim(),
            link,
            agenda_md: &form.agenda,
        },
    )
    .await?;
    match scheduled {
        Scheduled::Created(id) => Ok(Redirect::to(&format!("/e/{id}")).into_response()),
        Scheduled::UnknownTimeZone => {
            errors.add("time_zone", "That time zone is unknown. Use a name such as Europe/Lisbon, America/New_York or UTC.");
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
    id: &str,
    viewer: Option<&CurrentUser>,
) -> Result<(events::Event, Domain)> {
    let event = events::event(&state.db, parse_id(id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let domain = readable_domain_by_id(&state.db, event.domain_id, viewer).await?;
    Ok((event, domain))
}

async fn show_event(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<EventPage> {
    let viewer = visitor.page.user.as_ref();
    let (event, domain) = readable_event(&state, &id, viewer).await?;
    let my_rsvp = match viewer {
        Some(user) => events::rsvp_of(&state.db, event.id, user.id).await?,
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
    Path(id): Path<String>,
    Form(form): Form<RsvpForm>,
) -> Result<Response> {
    let (event, domain) = readable_event(&state, &id, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    if !["going", "maybe", "not"].contains(&form.status.as_str()) {
        return Err(AppError::BadRequest(
            "Answer going, maybe or not going.".into(),
        ));
    }
    if !events::rsvp(&state.db, event.id, member.user.id, &form.status).await? {
        return Err(AppError::Forbidden(
            "This event is over; it takes no more answers.",
        ));
    }
    flash(&member.session, FlashKind::Success, "Your answer is saved.").await?;
    Ok(Redirect::to(&format!("/e/{}", event.id)).into_response())
}

async fn event_ics(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response> {
    let (event, _) = readable_event(&state, &id, visitor.page.user.as_ref()).await?;
    let agenda: String = sqlx::query_scalar("SELECT agenda_md FROM events WHERE id = $1")
        .bind(event.id)
        .fetch_one(&state.db)
        .await?;
    let body = events::ics(
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
    Path(slug): Path<String>,
) -> Result<HealthPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let health = super::health::health(&state.db, domain.id, OffsetDateTime::now_utc()).await?;
    let series = |pick: fn(&super::health::Week) -> i64| -> Vec<(String, f64)> {
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
