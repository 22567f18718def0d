use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::moderation::log::queries::LogEntry;
use crate::web::PageContext;

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
