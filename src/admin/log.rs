//! `/admin/log`: the site-wide audit log, filtered by action, actor and domain.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::auth::Admin;
use crate::error::Result;
use crate::forum::fields::parse_id;
use crate::moderation::routes::{LogEntry, LOG_PAGE};
use crate::web::{url_encode, PageContext};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/log", get(log))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogFilters {
    pub action: String,
    pub actor: String,
    pub domain: String,
    pub before: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/log.html")]
pub struct SiteLogPage {
    pub page: PageContext,
    pub filters: LogFilters,
    pub actions: Vec<String>,
    pub entries: Vec<LogEntry>,
    pub older: Option<String>,
}

async fn log(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(filters): Query<LogFilters>,
) -> Result<SiteLogPage> {
    let before = filters.before.as_deref().map(parse_id).transpose()?;
    let entries: Vec<LogEntry> = sqlx::query_as(&format!(
        "SELECT a.id, u.display_name AS actor_name, d.name AS domain_name, a.action, a.target_type, a.target_id, a.reason, a.created_at
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id LEFT JOIN domains d ON d.id = a.domain_id
          WHERE ($1 = '' OR a.action = $1) AND ($2 = '' OR lower(u.username) = lower($2)) AND ($3 = '' OR d.slug = $3)
            AND ($4::bigint IS NULL OR a.id < $4)
          ORDER BY a.id DESC LIMIT {LOG_PAGE}"
    ))
    .bind(filters.action.trim())
    .bind(filters.actor.trim())
    .bind(filters.domain.trim())
    .bind(before)
    .fetch_all(&state.db)
    .await?;
    let actions = sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action")
        .fetch_all(&state.db)
        .await?;
    let older = (entries.len() as i64 == LOG_PAGE)
        .then(|| {
            entries.last().map(|e| {
                format!(
                    "/admin/log?action={}&actor={}&domain={}&before={}",
                    url_encode(&filters.action),
                    url_encode(&filters.actor),
                    url_encode(&filters.domain),
                    e.id
                )
            })
        })
        .flatten();
    Ok(SiteLogPage {
        page: admin.page,
        filters,
        actions,
        entries,
        older,
    })
}
