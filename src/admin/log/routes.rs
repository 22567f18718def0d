//! `/admin/log`: the site-wide audit log, filtered by action, actor and domain. It reads the
//! same query as a domain's moderation log.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::views::{LogFilters, SiteLogPage};
use crate::auth::Admin;
use crate::error::Result;
use crate::forum::fields::parse_id;
use crate::moderation::log::queries::{self as log, LogFilter};
use crate::web::url_encode;
use crate::web::Query;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/log", get(site_log))
}

async fn site_log(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(filters): Query<LogFilters>,
) -> Result<SiteLogPage> {
    let before = filters.before.as_deref().map(parse_id).transpose()?;
    let filter = LogFilter {
        domain_id: None,
        action: &filters.action,
        actor: &filters.actor,
        domain_slug: &filters.domain,
        before,
    };
    let entries = log::entries(&state.db, filter).await?;
    let actions = log::actions(&state.db).await?;
    let older = log::older_than(&entries).map(|id| {
        format!(
            "/admin/log?action={}&actor={}&domain={}&before={id}",
            url_encode(&filters.action),
            url_encode(&filters.actor),
            url_encode(&filters.domain),
        )
    });
    Ok(SiteLogPage {
        page: admin.page,
        filters,
        actions,
        entries,
        older,
    })
}
