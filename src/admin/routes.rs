//! `/admin`: creating domains and appointing their facilitators. Every act is in the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::seed::valid_slug;
use crate::auth::Admin;
use crate::error::{AppError, Result};
use crate::moderation::audit::{self, Act};
use crate::web::{flash, FieldErrors, FlashKind, PageContext};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/domains/new", get(new_domain_form).post(new_domain))
        .route("/admin/domains/{slug}", get(domain))
        .route("/admin/domains/{slug}/facilitators", post(appoint))
        .route(
            "/admin/domains/{slug}/facilitators/{username}/remove",
            post(dismiss),
        )
        .route("/admin/domains/{slug}/edit", post(edit_domain))
        .route("/admin/domains/{slug}/archive", post(archive_domain))
        .merge(super::users::router())
        .merge(super::log::router())
        .merge(super::upload::router())
}

#[derive(sqlx::FromRow)]
pub struct DomainRow {
    pub slug: String,
    pub name: String,
    pub visibility: String,
    pub member_count: i32,
    pub facilitators: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub page: PageContext,
    pub domains: Vec<DomainRow>,
}

async fn dashboard(State(state): State<AppState>, Admin(admin): Admin) -> Result<DashboardPage> {
    let domains = sqlx::query_as(
        "SELECT d.slug, d.name, d.visibility, d.member_count,
                array(SELECT u.username FROM memberships m JOIN users u ON u.id = m.user_id
                       WHERE m.domain_id = d.id AND m.role = 'facilitator' ORDER BY u.username) AS facilitators
           FROM domains d WHERE d.archived_at IS NULL ORDER BY d.name",
    )
    .fetch_all(&state.db)
    .await?;
    Ok(DashboardPage {
        page: admin.page,
        domains,
    })
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct DomainForm {
    pub name: String,
    pub slug: String,
    pub charter: String,
    pub practice_focus: String,
    pub audience: String,
    pub visibility: String,
}

impl Default for DomainForm {
    fn default() -> Self {
        DomainForm {
            name: String::new(),
            slug: String::new(),
            charter: String::new(),
            practice_focus: String::new(),
            audience: String::new(),
            visibility: "public".into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/new_domain.html")]
pub struct NewDomainPage {
    pub page: PageContext,
    pub form: DomainForm,
    pub errors: FieldErrors,
}

async fn new_domain_form(Admin(admin): Admin) -> NewDomainPage {
    NewDomainPage {
        page: admin.page,
        form: DomainForm::default(),
        errors: FieldErrors::default(),
    }
}

async fn new_domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Form(form): Form<DomainForm>,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("name", "Give the domain a name of at most 100 characters.");
    }
    let slug = form.slug.trim().to_lowercase();
    if !valid_slug(&slug) {
        errors.add("slug", "Use lower-case letters, digits and single hyphens, at most 60 characters, e.g. market-gardening.");
    }
    if form.charter.trim().is_empty() {
        errors.add(
            "charter",
            "A domain needs a charter: the interest its members share.",
        );
    }
    if !["public", "private"].contains(&form.visibility.as_str()) {
        errors.add("visibility", "Choose public or private.");
    }
    if !errors.is_empty() {
        return Ok(new_domain_again(admin.page, form, errors));
    }
    let mut tx = state.db.begin().await?;
    let created = sqlx::query_scalar::<_, i64>(
        "INSERT INTO domains (slug, name, charter_md, charter_html, practice_focus, audience, visibility, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&slug)
    .bind(name)
    .bind(&form.charter)
    .bind(crate::markdown::render(&form.charter))
    .bind(form.practice_focus.trim())
    .bind(form.audience.trim())
    .bind(&form.visibility)
    .bind(admin.user.id)
    .fetch_one(&mut *tx)
    .await;
    let domain_id = match created {
        Ok(id) => id,
        Err(sqlx::Error::Database(err)) if err.constraint() == Some("domains_slug_key") => {
            errors.add("slug", "Another domain already has that address.");
            return Ok(new_domain_again(admin.page, form, errors));
        }
        Err(err) => return Err(err.into()),
    };
    crate::cultivate::ensure_introductions(&mut tx, domain_id, admin.user.id, name).await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: Some(domain_id),
            action: "create domain",
            target_type: "domain",
            target_id: Some(domain_id),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    flash(
        &admin.session,
        FlashKind::Success,
        format!("{name} is created. Now appoint its facilitators."),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/domains/{slug}")).into_response())
}

fn new_domain_again(page: PageContext, form: DomainForm, errors: FieldErrors) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        NewDomainPage { page, form, errors },
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/domain.html")]
pub struct AdminDomainPage {
    pub page: PageContext,
    pub domain: DomainRow,
    pub error: Option<String>,
}

async fn load_domain(state: &AppState, slug: &str) -> Result<(i64, DomainRow)> {
    let row: Option<(i64, String, String, String, i32, Vec<String>)> = sqlx::query_as(
        "SELECT d.id, d.slug, d.name, d.visibility, d.member_count,
                array(SELECT u.username FROM memberships m JOIN users u ON u.id = m.user_id
                       WHERE m.domain_id = d.id AND m.role = 'facilitator' ORDER BY u.username)
           FROM domains d WHERE d.slug = $1 AND d.archived_at IS NULL",
    )
    .bind(slug)
    .fetch_optional(&state.db)
    .await?;
    let (id, slug, name, visibility, member_count, facilitators) = row.ok_or(AppError::NotFound)?;
    Ok((
        id,
        DomainRow {
            slug,
            name,
            visibility,
            member_count,
            facilitators,
        },
    ))
}

async fn domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<String>,
) -> Result<AdminDomainPage> {
    let (_, domain) = load_domain(&state, &slug).await?;
    Ok(AdminDomainPage {
        page: admin.page,
        domain,
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AppointForm {
    username: String,
}

/// Makes a user a facilitator of the domain (joining them if need be).
async fn appoint(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<String>,
    Form(form): Form<AppointForm>,
) -> Result<Response> {
    let (domain_id, domain) = load_domain(&state, &slug).await?;
    let user: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
            .bind(form.username.trim())
            .fetch_optional(&state.db)
            .await?;
    let Some(user_id) = user else {
        let page = AdminDomainPage {
            page: admin.page,
            domain,
            error: Some(format!(
                "There is no member called “{}”.",
                form.username.trim()
            )),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO memberships (domain_id, user_id, role) VALUES ($1, $2, 'facilitator')
         ON CONFLICT (domain_id, user_id) DO UPDATE SET role = 'facilitator'",
    )
    .bind(domain_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: Some(domain_id),
            action: "appoint facilitator",
            target_type: "user",
            target_id: Some(user_id),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    flash(
        &admin.session,
        FlashKind::Success,
        format!("{} now facilitates {}.", form.username.trim(), domain.name),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/domains/{}", domain.slug)).into_response())
}

async fn dismiss(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path((slug, username)): Path<(String, String)>,
) -> Result<Response> {
    let (domain_id, domain) = load_domain(&state, &slug).await?;
    let mut tx = state.db.begin().await?;
    let user: Option<i64> = sqlx::query_scalar(
        "UPDATE memberships SET role = 'member'
          WHERE domain_id = $1 AND role = 'facilitator' AND user_id = (SELECT id FROM users WHERE lower(username) = lower($2))
          RETURNING user_id",
    )
    .bind(domain_id)
    .bind(&username)
    .fetch_optional(&mut *tx)
    .await?;
    let user_id = user.ok_or(AppError::NotFound)?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: Some(domain_id),
            action: "remove facilitator",
            target_type: "user",
            target_id: Some(user_id),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    flash(
        &admin.session,
        FlashKind::Notice,
        format!("{username} is no longer a facilitator of {}.", domain.name),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/domains/{}", domain.slug)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DomainEditForm {
    name: String,
    visibility: String,
}

async fn edit_domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<String>,
    Form(form): Form<DomainEditForm>,
) -> Result<Response> {
    let (domain_id, domain) = load_domain(&state, &slug).await?;
    let name = form.name.trim();
    if name.is_empty()
        || name.chars().count() > 100
        || !["public", "private"].contains(&form.visibility.as_str())
    {
        let error =
            Some("Give a name of at most 100 characters and choose public or private.".to_string());
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            AdminDomainPage {
                page: admin.page,
                domain,
                error,
            },
        )
            .into_response());
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE domains SET name = $2, visibility = $3 WHERE id = $1")
        .bind(domain_id)
        .bind(name)
        .bind(&form.visibility)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: Some(domain_id),
            action: "edit domain",
            target_type: "domain",
            target_id: Some(domain_id),
            reason: &format!("{name}, {}", form.visibility),
        },
    )
    .await?;
    tx.commit().await?;
    flash(&admin.session, FlashKind::Success, "The domain is updated.").await?;
    Ok(Redirect::to(&format!("/admin/domains/{}", domain.slug)).into_response())
}

/// Archiving hides a domain everywhere; its content is kept.
async fn archive_domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<String>,
) -> Result<Response> {
    let (domain_id, domain) = load_domain(&state, &slug).await?;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE domains SET archived_at = now() WHERE id = $1")
        .bind(domain_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Act {
            actor_id: admin.user.id,
            domain_id: Some(domain_id),
            action: "archive domain",
            target_type: "domain",
            target_id: Some(domain_id),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    flash(
        &admin.session,
        FlashKind::Notice,
        format!("{} is archived.", domain.name),
    )
    .await?;
    Ok(Redirect::to("/admin").into_response())
}
