//! Offering to mentor, asking for a mentor, and pairing, at `/d/{slug}/mentors`.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::fields;
use super::queries;
use super::starter;
use super::views::{MentorsPage, StartPage};
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::fields::Slug;
use crate::forum::lookup::readable_domain;
use crate::forum::queries::Domain;
use crate::web::{flash_and_redirect, FieldErrors, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{slug}/mentors", get(mentors))
        .route("/d/{slug}/mentors/offer", post(offer))
        .route("/d/{slug}/mentors/withdraw", post(withdraw))
        .route("/d/{slug}/mentors/request", post(request))
        .route("/d/{slug}/mentors/{id}/pair", post(pair))
        .route("/d/{slug}/start", get(start))
}

/// First contributions chosen for the member in a domain they may read.
async fn start(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<StartPage> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    let user = member.user.id;
    let now = time::OffsetDateTime::now_utc();
    let (questions, entries, introductions, expertise) = tokio::try_join!(
        starter::questions_for(&state.db, domain.id, user),
        starter::entries_to_review(&state.db, domain.id),
        starter::introductions_to_welcome(&state.db, domain.id, user, now),
        sqlx::query_scalar::<_, Vec<String>>("SELECT expertise FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&state.db),
    )?;
    Ok(StartPage {
        page: member.page,
        domain,
        expertise,
        questions,
        entries,
        introductions,
    })
}

/// The fields the page's forms send, kept when one comes back with a problem.
#[derive(Deserialize, Default)]
#[serde(default)]
struct MentorForm {
    tags: String,
    mentor: String,
    note: String,
}

async fn page(
    state: &AppState,
    member: Member,
    domain: Domain,
    form: MentorForm,
    errors: FieldErrors,
) -> Result<MentorsPage> {
    let access = domain.access(Some(&member.user));
    let can_pair = access.can_moderate();
    let (offers, mine, all) = tokio::try_join!(
        queries::offers(&state.db, domain.id),
        queries::of_member(&state.db, domain.id, member.user.id),
        async {
            match can_pair {
                true => queries::of_domain(&state.db, domain.id).await,
                false => Ok(Vec::new()),
            }
        },
    )?;
    let offer_tags = match form.tags.is_empty() {
        true => offers
            .iter()
            .find(|o| o.user_id == member.user.id)
            .map(|o| o.tags.join(", "))
            .unwrap_or_default(),
        false => form.tags,
    };
    Ok(MentorsPage {
        can_post: access.can_post(),
        page: member.page,
        domain,
        offers,
        mine,
        all,
        can_pair,
        offer_tags,
        mentor: form.mentor,
        note: form.note,
        errors,
    })
}

async fn mentors(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<MentorsPage> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    page(
        &state,
        member,
        domain,
        MentorForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// The domain, for a member who may post in it.
async fn postable(state: &AppState, member: &Member, slug: &Slug) -> Result<Domain> {
    let domain = readable_domain(&state.db, slug, Some(&member.user)).await?;
    domain.access(Some(&member.user)).require_post()?;
    Ok(domain)
}

fn back(domain: &Domain) -> String {
    format!("/d/{}/mentors", domain.slug)
}

async fn offer(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    Form(form): Form<MentorForm>,
) -> Result<Response> {
    let domain = postable(&state, &member, &slug).await?;
    let tags = match fields::offer_tags(&form.tags) {
        Ok(tags) => tags,
        Err(problem) => return again(&state, member, domain, form, "tags", problem).await,
    };
    queries::offer(&state.db, domain.id, member.user.id, &tags).await?;
    let done = format!("You offer to mentor on {}.", tags.join(", "));
    flash_and_redirect(&member.session, FlashKind::Success, done, &back(&domain)).await
}

/// The page again, with `problem` beside `field` and the forms as sent.
async fn again(
    state: &AppState,
    member: Member,
    domain: Domain,
    form: MentorForm,
    field: &'static str,
    problem: String,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
    errors.add(field, problem);
    Ok(page(state, member, domain, form, errors).await?.answer())
}

async fn withdraw(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<Response> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    queries::withdraw(&state.db, domain.id, member.user.id).await?;
    let done = "You no longer offer to mentor here; pairings already made stay.";
    flash_and_redirect(&member.session, FlashKind::Notice, done, &back(&domain)).await
}

/// Asks for a mentor: one who offered here, or (left empty) whom a facilitator chooses.
async fn request(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    Form(form): Form<MentorForm>,
) -> Result<Response> {
    let domain = postable(&state, &member, &slug).await?;
    let note = match fields::note(&form.note) {
        Ok(note) => note.to_string(),
        Err(problem) => return again(&state, member, domain, form, "note", problem.into()).await,
    };
    let wanted = form.mentor.trim().trim_start_matches('@');
    let mentor = if wanted.is_empty() {
        None
    } else {
        let offers = queries::offers(&state.db, domain.id).await?;
        match offers
            .iter()
            .find(|o| o.username.eq_ignore_ascii_case(wanted) && o.user_id != member.user.id)
        {
            Some(offer) => Some((offer.user_id, offer.display_name.clone())),
            None => {
                let problem = fields::not_offered(wanted, &domain.name);
                return again(&state, member, domain, form, "mentor", problem).await;
            }
        }
    };
    let made = queries::request(
        &state.db,
        domain.id,
        member.user.id,
        mentor.as_ref().map(|m| m.0),
        &note,
    )
    .await?;
    if !made {
        return Err(AppError::BadRequest(
            "You have already asked for a mentor in this domain.".into(),
        ));
    }
    let me = &member.user.display_name;
    let done = match mentor {
        Some((mentor_id, name)) => {
            let told = format!("{me} chose you as their mentor in {}", domain.name);
            queries::tell(
                &state.db,
                &[mentor_id],
                member.user.id,
                domain.id,
                "mentor_paired",
                &told,
            )
            .await?;
            format!("{name} is your mentor in {}; they are told.", domain.name)
        }
        None => {
            let facilitators = queries::facilitators(&state.db, domain.id).await?;
            let told = format!("{me} asks for a mentor in {}: choose one", domain.name);
            queries::tell(
                &state.db,
                &facilitators,
                member.user.id,
                domain.id,
                "mentor_requested",
                &told,
            )
            .await?;
            "Asked: a facilitator will choose your mentor.".to_string()
        }
    };
    flash_and_redirect(&member.session, FlashKind::Success, done, &back(&domain)).await
}

async fn pair(
    State(state): State<AppState>,
    member: Member,
    Path((slug, id)): Path<(Slug, crate::web::path::MentorshipId)>,
    Form(form): Form<MentorForm>,
) -> Result<Response> {
    let domain = readable_domain(&state.db, &slug, Some(&member.user)).await?;
    if !domain.access(Some(&member.user)).can_moderate() {
        return Err(AppError::Forbidden(
            "Only the domain's facilitators choose a mentor for someone.",
        ));
    }
    let offers = queries::offers(&state.db, domain.id).await?;
    let Some(mentor) = offers.iter().find(|o| o.username == form.mentor.trim()) else {
        let problem = "Choose one of the members who offered to mentor.".to_string();
        return again(&state, member, domain, form, "pair", problem).await;
    };
    if !queries::pair(&state.db, domain.id, id.0, mentor.user_id).await? {
        return Err(AppError::BadRequest(
            "That request no longer waits, or the mentor is the one who asked.".into(),
        ));
    }
    if let Some((newcomer_id, newcomer)) = queries::newcomer_of(&state.db, id.0).await? {
        let to_mentor = format!("You mentor {newcomer} in {}", domain.name);
        let to_newcomer = format!("{} is your mentor in {}", mentor.display_name, domain.name);
        let (db, actor) = (&state.db, member.user.id);
        queries::tell(
            db,
            &[mentor.user_id],
            actor,
            domain.id,
            "mentor_paired",
            &to_mentor,
        )
        .await?;
        queries::tell(
            db,
            &[newcomer_id],
            actor,
            domain.id,
            "mentor_paired",
            &to_newcomer,
        )
        .await?;
    }
    let done = format!(
        "Paired with {} as mentor; both are told.",
        mentor.display_name
    );
    flash_and_redirect(&member.session, FlashKind::Success, done, &back(&domain)).await
}
