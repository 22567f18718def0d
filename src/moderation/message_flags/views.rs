//! The admins' queue of flagged messages and a flagged message's review page.

use askama::Template;
use askama_web::WebTemplate;

use super::queries::{Around, Flag, Flagged, Open};
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "admin/message_flags.html")]
pub struct QueuePage {
    pub page: PageContext,
    pub open: Vec<Open>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/message_flag.html")]
pub struct ReviewPage {
    pub page: PageContext,
    pub message: Flagged,
    pub around: Vec<Around>,
    pub flags: Vec<Flag>,
}

impl ReviewPage {
    pub fn is_open(&self) -> bool {
        self.flags.iter().any(|f| f.outcome.is_none())
    }
}
