//! The domain spotlight: facilitators feature a post or a repertoire entry of *their* domain,
//! with a reason, shown on the domain page.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use sqlx::PgPool;

use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::fields::parse_id;
use crate::forum::lookup::readable_domain_by_id;
use crate::forum::queries as forum;
use crate::integrate::routes::domain_access;
use crate::web::path::SpotlightId;
use crate::web::Path;
use crate::web::{flash, FlashKind};
use crate::AppState;

#[derive(sqlx::FromRow)]
pub struct Featured {
    pub id: i64,
    pub post_id: Option<i64>,
    pub entry_id: Option<i64>,
    pub title: String,
    pub reason: String,
}

impl Featured {
    pub fn href(&self) -> String {
        match (self.post_id, self.entry_id) {
            (Some(post), _) => format!("/p/{post}"),
            (None, Some(entry)) => format!("/r/{entry}"),
            _ => "/".into(),
        }
    }
}

pub async fn featured(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<Featured>> {
    sqlx::query_as(
        "SELECT s.id, s.post_id, s.entry_id, coalesce(e.title, t.title) AS title, s.reason
           FROM spotlights s
           LEFT JOIN repertoire_entries e ON e.id = s.entry_id
           LEFT JOIN posts p ON p.id = s.post_id
           LEFT JOIN threads t ON t.id = p.thread_id
          WHERE s.domain_id = $1 AND (p.id IS NULL OR (p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden))
          ORDER BY s.created_at DESC LIMIT 5",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FeatureForm {
    post: String,
    entry: String,
    reason: String,
}

/// Features a post (`post=`) or an entry (`entry=`). The domain is the one the object belongs
/// to, and the member must facilitate it.
pub async fn feature(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<FeatureForm>,
) -> Result<Response> {
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::BadRequest(
            "Say why you feature it, in at most 500 characters.".into(),
        ));
    }
    let (domain_id, post_id, entry_id) = if !form.post.is_empty() {
        let post_id = parse_id(&form.post)?;
        let thread = forum::thread_of_post(&state.db, post_id, Some(&member.user))
            .await?
            .ok_or(AppError::NotFound)?;
        (thread.domain_id, Some(post_id), None)
    } else {
        let entry = crate::educate::queries::entry(&state.db, parse_id(&form.entry)?)
            .await?
            .ok_or(AppError::NotFound)?;
        (entry.domain_id, None, Some(entry.id))
    };
    let access = domain_access(&state, domain_id, &member.user).await?;
    if !access.can_moderate() {
        return Err(AppError::Forbidden(
            "Only this domain's facilitators can feature in its spotlight.",
        ));
    }
    sqlx::query("INSERT INTO spotlights (domain_id, post_id, entry_id, reason, featured_by) VALUES ($1, $2, $3, $4, $5)")
        .bind(domain_id)
        .bind(post_id)
        .bind(entry_id)
        .bind(reason)
        .bind(member.user.id)
        .execute(&state.db)
        .await?;
    let slug = readable_domain_by_id(&state.db, domain_id, Some(&member.user))
        .await?
        .slug;
    flash(
        &member.session,
        FlashKind::Success,
        "Featured in the domain's spotlight.",
    )
    .await?;
    Ok(Redirect::to(&format!("/d/{slug}")).into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<SpotlightId>,
) -> Result<Response> {
    let (domain_id, slug): (i64, String) = sqlx::query_as(
        "SELECT d.id, d.slug FROM spotlights s JOIN domains d ON d.id = s.domain_id WHERE s.id = $1",
    )
    .bind(id.0)
    .fetch_optional(&state.db)
    .await?
    .ok_or(AppError::NotFound)?;
    if !domain_access(&state, domain_id, &member.user)
        .await?
        .can_moderate()
    {
        return Err(AppError::Forbidden(
            "Only this domain's facilitators can change its spotlight.",
        ));
    }
    sqlx::query("DELETE FROM spotlights WHERE id = $1")
        .bind(id.0)
        .execute(&state.db)
        .await?;
    Ok(Redirect::to(&format!("/d/{slug}")).into_response())
}
