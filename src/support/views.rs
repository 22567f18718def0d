//! Support's pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::queries::{Bookmark, Expert, Notification};
use super::reminders::ReminderForm;
use crate::forum::queries::{Domain, ThreadSummary};
use crate::web::{FieldErrors, PageContext};

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

/// "Remind me…" for one post.
#[derive(Template, WebTemplate)]
#[template(path = "support/reminder.html")]
pub struct ReminderPage {
    pub page: PageContext,
    pub post_id: i64,
    pub thread_title: String,
    pub excerpt: String,
    /// None: not bookmarked yet; `Some(None)`: bookmarked without a reminder.
    pub current: Option<Option<OffsetDateTime>>,
    pub form: ReminderForm,
    pub errors: FieldErrors,
}

impl ReminderPage {
    pub fn choices(&self) -> [(&'static str, &'static str); 5] {
        crate::support::reminders::CHOICES
    }

    /// 422 with the problems named and the member's choice kept.
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "support/members.html")]
pub struct MembersPage {
    pub page: PageContext,
    pub expertise: String,
    pub experts: Vec<Expert>,
    /// Where the next page starts, when there is one.
    pub next_after: Option<String>,
    /// This is not the first page.
    pub continued: bool,
    pub tags: Vec<(String, i64)>,
}

impl MembersPage {
    pub fn next_href(&self, after: &str) -> String {
        format!(
            "{}&after={}",
            crate::support::routes::expertise_href(&self.expertise),
            crate::web::url_encode(after)
        )
    }
}

impl Bookmark {
    pub fn excerpt(&self) -> String {
        crate::markdown::plain_excerpt(&self.body_md, 200)
    }
}
