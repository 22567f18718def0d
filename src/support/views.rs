//! Support's pages.

use askama::Template;
use askama_web::WebTemplate;

use super::queries::{Bookmark, Expert, Notification};
use crate::forum::queries::{Domain, ThreadSummary};
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "support/unanswered.html")]
pub struct UnansweredPage {
    pub page: PageContext,
    pub domain: Domain,
    pub threads: Vec<ThreadSummary>,
    pub next: Option<String>,
    pub is_first_page: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "support/notifications.html")]
pub struct NotificationsPage {
    pub page: PageContext,
    pub notifications: Vec<Notification>,
    pub older: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "support/bookmarks.html")]
pub struct BookmarksPage {
    pub page: PageContext,
    pub bookmarks: Vec<Bookmark>,
}

#[derive(Template, WebTemplate)]
#[template(path = "support/members.html")]
pub struct MembersPage {
    pub page: PageContext,
    pub expertise: String,
    pub experts: Vec<Expert>,
    pub tags: Vec<(String, i64)>,
}

impl Bookmark {
    pub fn excerpt(&self) -> String {
        crate::markdown::plain_excerpt(&self.body_md, 200)
    }
}
