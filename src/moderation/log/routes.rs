//! `/d/{slug}/log`: a domain's moderation log, for its facilitators.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::queries::{self, LogFilter};
use super::views::LogPage;
use crate::auth::Member;
use crate::error::Result;
use crate::forum::fields::parse_id;
use crate::forum::fields::Slug;
use crate::forum::lookup::moderated_domain;
use crate::web::{Before, Path, Query};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/d/{slug}/log", get(domain_log))
}

async fn domain_log(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
    Query(query): Query<Before>,
) -> Result<LogPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let before = query.before.as_deref().map(parse_id).transpose()?;
    let filter = LogFilter {
        domain_id: Some(domain.id),
        before,
        ..LogFilter::default()
    };
    let entries = queries::entries(&state.db, filter).await?;
    let older =
        queries::older_than(&entries).map(|id| format!("/d/{}/log?before={id}", domain.slug));
    Ok(LogPage {
        page: member.page,
        heading: format!("Moderation log of {}", domain.name),
        entries,
        older,
    })
}
