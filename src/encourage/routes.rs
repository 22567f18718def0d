//! `/u/{username}` and `/me/profile`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::fields::{display_name, Username};
use crate::auth::{Member, Visitor};
use crate::educate::fields::normalise_all;
use crate::error::{AppError, Result};
use crate::web::{flash, CurrentUser, FieldErrors, FlashKind, PageContext};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/u/{username}", get(profile))
        .route("/me/profile", get(edit_form).post(edit))
        .route("/p/{id}/react", post(super::reactions::react))
        .route("/spotlight", post(super::spotlight::feature))
        .route("/spotlight/{id}/remove", post(super::spotlight::remove))
}

#[derive(sqlx::FromRow)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio_md: String,
    pub bio_html: String,
    pub expertise: Vec<String>,
    pub created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
pub struct Contribution {
    pub post_id: i64,
    pub thread_title: String,
    pub domain_name: String,
    pub is_opening: bool,
    pub created_at: OffsetDateTime,
}

/// A member's contribution at a glance, counted over what the viewer can read.
#[derive(sqlx::FromRow, Default)]
pub struct Tally {
    pub threads: i64,
    pub replies: i64,
    pub accepted_answers: i64,
    pub entries_curated: i64,
    pub reactions_received: i64,
    pub practice_reports: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "encourage/profile.html")]
pub struct ProfilePage {
    pub page: PageContext,
    pub profile: Profile,
    pub domains: Vec<(String, String, String)>,
    pub contributions: Vec<Contribution>,
    pub tally: Tally,
    pub reports: Vec<crate::integrate::queries::Report>,
}

async fn profile(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Result<ProfilePage> {
    let viewer = visitor.page.user.as_ref();
    let profile: Profile = sqlx::query_as(
        "SELECT id, username, display_name, bio_md, bio_html, expertise, created_at
           FROM users WHERE lower(username) = lower($1)",
    )
    .bind(&username)
    .fetch_optional(&state.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let viewer_id = viewer.map(|u| u.id);
    // Only domains, and posts in domains, the viewer can read.
    let domains: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT d.slug, d.name, m.role FROM memberships m
           JOIN readable_domains($2) d ON d.id = m.domain_id
          WHERE m.user_id = $1
          ORDER BY d.name",
    )
    .bind(profile.id)
    .bind(viewer_id)
    .fetch_all(&state.db)
    .await?;
    let contributions: Vec<Contribution> = sqlx::query_as(
        "SELECT p.id AS post_id, t.title AS thread_title, d.name AS domain_name,
                NOT EXISTS (SELECT 1 FROM posts e WHERE e.thread_id = t.id AND e.id < p.id) AS is_opening,
                p.created_at
           FROM listed_posts($2) p
           JOIN threads t ON t.id = p.thread_id
           JOIN domains d ON d.id = t.domain_id
          WHERE p.author_id = $1
          ORDER BY p.created_at DESC, p.id DESC
          LIMIT 20",
    )
    .bind(profile.id)
    .bind(viewer_id)
    .fetch_all(&state.db)
    .await?;
    let tally: Tally = sqlx::query_as(
        "WITH readable AS (SELECT id FROM readable_domains($2)),
         own_posts AS (
             SELECT p.id, p.thread_id, p.helpful_count + p.thanks_count + p.insightful_count AS reactions,
                    NOT EXISTS (SELECT 1 FROM posts e WHERE e.thread_id = p.thread_id AND e.id < p.id) AS opening
               FROM listed_posts($2) p
              WHERE p.author_id = $1
         )
         SELECT (SELECT count(*) FROM own_posts WHERE opening) AS threads,
                (SELECT count(*) FROM own_posts WHERE NOT opening) AS replies,
                (SELECT count(*) FROM own_posts o JOIN threads t ON t.accepted_post_id = o.id) AS accepted_answers,
                (SELECT count(*) FROM repertoire_entries e WHERE e.curated_by = $1 AND e.domain_id IN (SELECT id FROM readable)) AS entries_curated,
                (SELECT coalesce(sum(reactions), 0)::bigint FROM own_posts) AS reactions_received,
                (SELECT count(*) FROM practice_reports r
                   LEFT JOIN repertoire_entries e ON e.id = r.entry_id LEFT JOIN threads t ON t.id = r.thread_id
                  WHERE r.author_id = $1 AND coalesce(e.domain_id, t.domain_id) IN (SELECT id FROM readable)) AS practice_reports",
    )
    .bind(profile.id)
    .bind(viewer_id)
    .fetch_one(&state.db)
    .await?;
    let reports = crate::integrate::queries::reports_by(&state.db, profile.id, viewer).await?;
    Ok(ProfilePage {
        page: visitor.page,
        profile,
        domains,
        contributions,
        tally,
        reports,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub display_name: String,
    pub bio: String,
    pub expertise: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "encourage/edit_profile.html")]
pub struct EditProfilePage {
    pub page: PageContext,
    pub form: ProfileForm,
    pub errors: FieldErrors,
}

async fn edit_form(State(state): State<AppState>, member: Member) -> Result<EditProfilePage> {
    let (display, bio, expertise): (String, String, Vec<String>) =
        sqlx::query_as("SELECT display_name, bio_md, expertise FROM users WHERE id = $1")
            .bind(member.user.id)
            .fetch_one(&state.db)
            .await?;
    Ok(EditProfilePage {
        page: member.page,
        form: ProfileForm {
            display_name: display,
            bio,
            expertise: expertise.join(", "),
        },
        errors: FieldErrors::default(),
    })
}

const MAX_BIO_CHARS: usize = 5000;
const MAX_EXPERTISE_TAGS: usize = 20;

async fn edit(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<ProfileForm>,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
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
        let page = EditProfilePage {
            page: member.page,
            form,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    save(&state, &member.user, &display, &form.bio, &tags).await?;
    flash(
        &member.session,
        FlashKind::Success,
        "Your profile is saved.",
    )
    .await?;
    Ok(Redirect::to(&format!("/u/{}", member.user.username)).into_response())
}

async fn save(
    state: &AppState,
    user: &CurrentUser,
    display: &str,
    bio: &str,
    tags: &[String],
) -> Result<()> {
    let (bio_html, _) = crate::forum::queries::render_with_mentions(&state.db, bio).await?;
    sqlx::query("UPDATE users SET display_name = $2, bio_md = $3, bio_html = $4, expertise = $5 WHERE id = $1")
        .bind(user.id)
        .bind(display)
        .bind(bio)
        .bind(bio_html)
        .bind(tags)
        .execute(&state.db)
        .await?;
    Ok(())
}
