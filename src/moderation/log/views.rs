use askama::Template;
use askama_web::WebTemplate;

use super::queries::LogEntry;
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "moderation/log.html")]
pub struct LogPage {
    pub page: PageContext,
    pub heading: String,
    pub entries: Vec<LogEntry>,
    pub older: Option<String>,
}
