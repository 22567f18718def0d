//! The admins' view of the outbox.

use askama::Template;
use askama_web::WebTemplate;

use crate::mail::queries::Queued;
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "admin/outbox.html")]
pub struct OutboxPage {
    pub page: PageContext,
    pub messages: Vec<Queued>,
    /// Where the next page of older messages starts.
    pub older: Option<i64>,
    pub smtp_configured: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/outbox_message.html")]
pub struct MessagePage {
    pub page: PageContext,
    pub message: Queued,
    pub smtp_configured: bool,
}
