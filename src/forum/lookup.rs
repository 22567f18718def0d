//! Loading domain content for a viewer, answering 404 for anything they may not read — a
//! private domain's content looks exactly like missing content. Every module that serves a
//! domain's pages goes through these, so the rule is written once.

use axum::http::Uri;

use super::queries::{self, Domain, Thread};
use crate::auth::{Arrival, Member, Visitor};
use crate::error::{AppError, Result};
use crate::web::CurrentUser;
use crate::AppState;

pub async fn readable_domain(
    db: &sqlx::PgPool,
    slug: &str,
    viewer: Option<&CurrentUser>,
) -> Result<Domain> {
    readable(queries::domain_by_slug(db, slug, viewer).await?, viewer)
}

/// `readable_domain` for a page that looks the domain up while the viewer's account is checked
/// (`Arrival::read_beside`): one round trip sooner for a member.
pub async fn readable_domain_on_arrival(
    state: &AppState,
    arrival: Arrival,
    slug: &str,
) -> Result<(Visitor, Domain)> {
    let db = &state.db;
    let (visitor, domain) = arrival
        .read_beside(state, |viewer_id| async move {
            Ok(queries::domain_by_slug_for(db, slug, viewer_id).await?)
        })
        .await?;
    let domain = readable(domain, visitor.page.user.as_ref())?;
    Ok((visitor, domain))
}

pub async fn readable_domain_by_id(
    db: &sqlx::PgPool,
    id: i64,
    viewer: Option<&CurrentUser>,
) -> Result<Domain> {
    readable(queries::domain_by_id(db, id, viewer).await?, viewer)
}

/// The domain found, if the viewer may read it; 404 for a missing one and a private one alike.
fn readable(found: Option<Domain>, viewer: Option<&CurrentUser>) -> Result<Domain> {
    let domain = found.ok_or(AppError::NotFound)?;
    domain.access(viewer).require_read()?;
    Ok(domain)
}

/// A thread by id, if the viewer may read it (hidden threads: moderators only).
pub async fn readable_thread(
    db: &sqlx::PgPool,
    id: i64,
    viewer: Option<&CurrentUser>,
) -> Result<Thread> {
    readable_as(queries::thread(db, id, viewer).await?, viewer)
}

/// `readable_thread` for a member's action on a thread, the thread looked up while their
/// account is checked (`Arrival::read_beside`): one round trip sooner. Whoever is not signed in
/// is sent to log in first, as the `Member` extractor does, whatever the thread.
pub async fn readable_thread_for_member(
    state: &AppState,
    arrival: Arrival,
    uri: &Uri,
    id: i64,
) -> Result<(Member, Thread)> {
    let db = &state.db;
    let (visitor, thread) = arrival
        .read_beside(state, |viewer_id| async move {
            Ok(queries::thread_for(db, id, viewer_id).await?)
        })
        .await?;
    let member = visitor.member(uri)?;
    let thread = readable_as(thread, Some(&member.user))?;
    Ok((member, thread))
}

/// The thread found, if the viewer may read it (hidden threads: moderators only).
fn readable_as(found: Option<Thread>, viewer: Option<&CurrentUser>) -> Result<Thread> {
    found
        .filter(|t| t.readable_by(viewer))
        .ok_or(AppError::NotFound)
}

/// The thread a post belongs to, if the viewer may read it (hidden threads: moderators only).
pub async fn readable_thread_of_post(
    db: &sqlx::PgPool,
    post_id: i64,
    viewer: Option<&CurrentUser>,
) -> Result<Thread> {
    queries::thread_of_post(db, post_id, viewer)
        .await?
        .filter(|t| t.readable_by(viewer))
        .ok_or(AppError::NotFound)
}

/// A domain this member facilitates (admins facilitate everywhere): 404 when they cannot read
/// it, 403 when they can but do not facilitate it.
pub async fn moderated_domain(db: &sqlx::PgPool, slug: &str, user: &CurrentUser) -> Result<Domain> {
    let domain = readable_domain(db, slug, Some(user)).await?;
    domain
        .access(Some(user))
        .require_moderate("Only this domain's facilitators can see or do that.")?;
    Ok(domain)
}
