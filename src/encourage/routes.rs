//! Encourage's routes: `/u/{username}` and `/me/profile`, reactions (`/p/{id}/react`), and the
//! domain spotlight (`/spotlight`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::fields::{spotlight_reason, ReactionKind};
use super::queries;
use super::views::{EditProfilePage, Featured, ProfileForm, ProfilePage, SpotlightPage};
use crate::auth::fields::{display_name, Username};
use crate::auth::{Arrival, Member};
use crate::error::{AppError, Result};
use crate::forum::fields::parse_id;
use crate::forum::lookup::{readable_domain_by_id, readable_thread_of_post};
use crate::forum::queries as forum;
use crate::forum::tags::normalise_all;
use crate::moderation::lookup::moderated_post;
use crate::uploads::Purpose;
use crate::web::path::{EntryId, PostId, SpotlightId};
use crate::web::{
    flash_and_redirect, CurrentUser, FieldErrors, FlashKind, Form, FormWithFiles, Path,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/u/{username}", get(profile))
        .route("/me/profile", get(edit_form).post(edit))
        .route("/p/{id}/react", post(react))
        .route("/p/{id}/spotlight", get(spotlight_post_form))
        .route("/r/{id}/spotlight", get(spotlight_entry_form))
        .route("/spotlight", post(feature))
        .route("/spotlight/{id}/remove", post(remove))
}

/// Two round trips for a visitor: the member; then what the page shows of them, side by side.
/// A member's session comes first, and their account is checked beside the first.
async fn profile(
    State(state): State<AppState>,
    arrival: Arrival,
    Path(username): Path<String>,
) -> Result<ProfilePage> {
    // These statements read by key, and four of them were planned again on every call (about
    // 3 ms of planning a page): with one generic plan each, 534 → 827 profiles a second at a
    // million posts.
    let db = &state.generic_db;
    let (visitor, profile) = tokio::try_join!(arrival.visitor(&state), async {
        Ok(queries::profile(db, &username).await?)
    })?;
    let profile = profile.ok_or(AppError::NotFound)?;
    let viewer = visitor.page.user.as_ref();
    let viewer_id = viewer.map(|u| u.id);
    // Side by side: one after another they were six round trips more.
    let (domains, contributions, tally, reports, evidence, pairings) = tokio::try_join!(
        queries::domains_of(db, profile.id, viewer_id),
        queries::contributions(db, profile.id, viewer_id),
        queries::tally(db, profile.id, viewer_id),
        crate::integrate::queries::reports_by(db, profile.id, viewer),
        crate::support::queries::evidence_of(db, viewer_id, profile.id),
        crate::cultivate::mentoring::queries::pairings_of(db, viewer_id, profile.id),
    )?;
    Ok(ProfilePage {
        pairings,
        evidence,
        page: visitor.page,
        profile,
        domains,
        contributions,
        tally,
        reports,
    })
}

async fn edit_form(State(state): State<AppState>, member: Member) -> Result<EditProfilePage> {
    let (display, bio, expertise, avatar) =
        queries::profile_form(&state.db, member.user.id).await?;
    Ok(EditProfilePage {
        page: member.page,
        form: ProfileForm {
            display_name: display,
            bio,
            expertise: expertise.join(", "),
            remove_avatar: String::new(),
        },
        errors: FieldErrors::default(),
        avatar,
    })
}

const MAX_BIO_CHARS: usize = 5000;
const MAX_EXPERTISE_TAGS: usize = 20;

async fn edit(
    State(state): State<AppState>,
    member: Member,
    FormWithFiles { form, files }: FormWithFiles<ProfileForm>,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
    let picture = files
        .into_iter()
        .find(|file| file.field == "avatar" && !file.bytes.is_empty());
    let avatar = match picture {
        Some(file) => match (state.uploads)
            .accept(&state.db, member.user.id, Purpose::Avatar, file)
            .await?
        {
            Ok(upload) => Some(upload.id),
            Err(refused) => {
                errors.add("avatar", refused.to_string());
                None
            }
        },
        None => None,
    };
    let username = Username::parse(&member.user.username).map_err(|e| anyhow::anyhow!(e))?;
    let display = errors.check("display_name", display_name(&form.display_name, &username));
    if form.bio.chars().count() > MAX_BIO_CHARS {
        errors.add("bio", "Keep your bio to 5000 characters or fewer.");
    }
    let raw_tags: Vec<String> = form.expertise.split(',').map(str::to_string).collect();
    let tags = normalise_all(&raw_tags);
    if tags.len() > MAX_EXPERTISE_TAGS {
        errors.add("expertise", "List at most 20 areas.");
    } else if tags.iter().any(|t| t.chars().count() > 40) {
        errors.add("expertise", "Keep each area to 40 characters or fewer.");
    }
    let Some(display) = display.filter(|_| errors.is_empty()) else {
        let (.., avatar) = queries::profile_form(&state.db, member.user.id).await?;
        let page = EditProfilePage {
            page: member.page,
            form,
            errors,
            avatar,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    queries::save_profile(&state.db, member.user.id, &display, &form.bio, &tags).await?;
    if avatar.is_some() || form.remove_avatar == "on" {
        crate::uploads::queries::set_avatar(&state.db, member.user.id, avatar).await?;
    }
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Your profile is saved.",
        &format!("/u/{}", member.user.username),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReactForm {
    kind: String,
}

#[derive(Serialize)]
struct Reacted {
    active: bool,
    count: i32,
}

/// Toggles one of the three reactions. Without JavaScript the form posts and the page reloads
/// at the post; with it, `commonplace.js` posts in the background and updates the button from
/// the JSON answer.
async fn react(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Path(id): Path<PostId>,
    Form(form): Form<ReactForm>,
) -> Result<Response> {
    let kind = ReactionKind::parse(&form.kind).map_err(|why| AppError::BadRequest(why.into()))?;
    let viewer = Some(&member.user);
    // Side by side: both are found by the post's id.
    let post = async {
        forum::post(&state.db, id.0)
            .await?
            .ok_or(AppError::NotFound)
    };
    let (thread, post) = tokio::try_join!(readable_thread_of_post(&state.db, id.0, viewer), post)?;
    super::policy::may_react(viewer, &thread, &post)?;
    let (active, count) =
        queries::toggle_reaction(&state.db, post.id, member.user.id, kind).await?;
    if headers
        .get("x-requested-with")
        .is_some_and(|v| v == "fetch")
    {
        return Ok(Json(Reacted { active, count }).into_response());
    }
    Ok(Redirect::to(&format!("/p/{}", post.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FeatureForm {
    post: String,
    entry: String,
    reason: String,
}

/// Whether this member facilitates the domain (by id), for the spotlight: its slug if so.
async fn facilitated_slug(state: &AppState, domain_id: i64, user: &CurrentUser) -> Result<String> {
    let domain = readable_domain_by_id(&state.db, domain_id, Some(user)).await?;
    domain
        .access(Some(user))
        .require_moderate("Only this domain's facilitators can change its spotlight.")?;
    Ok(domain.slug)
}

fn spotlight_page(member: &Member, featured: Featured, domain_slug: String) -> SpotlightPage {
    SpotlightPage {
        page: member.page.clone(),
        featured,
        domain_slug,
        reason: String::new(),
        errors: FieldErrors::default(),
    }
}

/// A post this member may feature: live and shown, in a domain they facilitate.
async fn featurable_post(state: &AppState, post_id: i64, member: &Member) -> Result<SpotlightPage> {
    let (post, thread) = moderated_post(state, post_id, &member.user).await?;
    if post.deleted_at.is_some() || post.hidden {
        return Err(AppError::NotFound);
    }
    let slug = thread.domain_slug.clone();
    Ok(spotlight_page(
        member,
        Featured::Post { thread, post },
        slug,
    ))
}

/// A repertoire entry of a domain this member facilitates.
async fn featurable_entry(
    state: &AppState,
    entry_id: i64,
    member: &Member,
) -> Result<SpotlightPage> {
    let entry = crate::educate::queries::entry(&state.db, entry_id, Some(member.user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    let slug = facilitated_slug(state, entry.domain_id, &member.user).await?;
    Ok(spotlight_page(member, Featured::Entry(entry), slug))
}

/// Asks why before featuring a post; the form is sent to `feature`.
async fn spotlight_post_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<PostId>,
) -> Result<SpotlightPage> {
    featurable_post(&state, id.0, &member).await
}

/// Asks why before featuring a repertoire entry; the form is sent to `feature`.
async fn spotlight_entry_form(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
) -> Result<SpotlightPage> {
    featurable_entry(&state, id.0, &member).await
}

/// Features a post (`post=`) or an entry (`entry=`). The domain is the one the object belongs
/// to, and the member must facilitate it.
async fn feature(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<FeatureForm>,
) -> Result<Response> {
    let mut page = if !form.post.is_empty() {
        featurable_post(&state, parse_id(&form.post)?, &member).await?
    } else {
        featurable_entry(&state, parse_id(&form.entry)?, &member).await?
    };
    let reason = match spotlight_reason(&form.reason) {
        Ok(reason) => reason,
        Err(problem) => {
            page.errors.add("reason", problem);
            page.reason = form.reason;
            return Ok(page.answer());
        }
    };
    let domain_id = match &page.featured {
        Featured::Post { thread, .. } => thread.domain_id,
        Featured::Entry(entry) => entry.domain_id,
    };
    let (post_id, entry_id) = page.ids();
    queries::feature(
        &state.db,
        domain_id,
        post_id,
        entry_id,
        reason,
        member.user.id,
    )
    .await?;
    let message = "Featured in the domain's spotlight.";
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        message,
        &format!("/d/{}", page.domain_slug),
    )
    .await
}

async fn remove(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<SpotlightId>,
) -> Result<Response> {
    let domain_id = queries::spotlight_domain(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let slug = facilitated_slug(&state, domain_id, &member.user).await?;
    queries::unfeature(&state.db, id.0).await?;
    Ok(Redirect::to(&format!("/d/{slug}")).into_response())
}
