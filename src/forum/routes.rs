//! `/`, `/d`, `/d/{slug}`.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::queries::{self, Cursor, THREADS_PER_PAGE};
use super::views::{DirectoryPage, DomainPage, HomePage};
use crate::auth::Visitor;
use crate::error::{AppError, Result};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/d", get(directory))
        .route("/d/{slug}", get(domain))
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> Result<HomePage> {
    let viewer = visitor.page.user.as_ref().map(|u| u.id);
    let domains = queries::visible_domains(&state.db, viewer).await?;
    let (my_domains, other_domains) = domains.into_iter().partition(|d| d.is_member);
    let recent = match viewer {
        Some(id) => queries::recent_threads_for_member(&state.db, id, 15).await?,
        None => Vec::new(),
    };
    Ok(HomePage {
        page: visitor.page,
        my_domains,
        other_domains,
        recent,
    })
}

async fn directory(State(state): State<AppState>, visitor: Visitor) -> Result<DirectoryPage> {
    let viewer = visitor.page.user.as_ref().map(|u| u.id);
    let domains = queries::visible_domains(&state.db, viewer).await?;
    Ok(DirectoryPage {
        page: visitor.page,
        domains,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DomainQuery {
    before: Option<String>,
}

async fn domain(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    Query(query): Query<DomainQuery>,
) -> Result<DomainPage> {
    let viewer = visitor.page.user.as_ref().map(|u| u.id);
    let domain = queries::visible_domain(&state.db, &slug, viewer)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = match query.before.as_deref() {
        Some(raw) => Some(Cursor::parse(raw).ok_or_else(|| {
            AppError::BadRequest(
                "That page link is damaged; go back to the domain's first page.".into(),
            )
        })?),
        None => None,
    };
    let facilitates = domain.viewer_role.as_deref() == Some("facilitator");
    let threads = queries::latest_threads(&state.db, domain.id, before, facilitates).await?;
    let pinned = if before.is_none() {
        queries::pinned_threads(&state.db, domain.id, facilitates).await?
    } else {
        Vec::new()
    };
    let older = (threads.len() as i64 == THREADS_PER_PAGE)
        .then(|| threads.last())
        .flatten()
        .map(|t| {
            Cursor {
                at: t.last_posted_at,
                id: t.id,
            }
            .encode()
        });
    Ok(DomainPage {
        page: visitor.page,
        domain,
        pinned,
        threads,
        older,
        is_first_page: before.is_none(),
    })
}
