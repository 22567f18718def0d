//! The pages of private conversations.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::queries::{Conversation, Listed, Message};
use crate::web::submission::SubmissionKey;
use crate::web::{FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "support/messages/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub conversations: Vec<Listed>,
    pub older: Option<String>,
    /// (username, display name) of the members this member has blocked.
    pub blocked: Vec<(String, String)>,
}

/// The new conversation form, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewForm {
    /// Usernames, separated by commas or spaces; `@` may lead each.
    pub to: String,
    /// A domain's slug: every member of it (for its facilitators).
    pub domain: String,
    pub title: String,
    pub body: String,
    pub key: SubmissionKey,
}

impl NewForm {
    /// The usernames named, each once, without `@`.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for name in self
            .to
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|n| n.trim_start_matches('@'))
            .filter(|n| !n.is_empty())
        {
            if !names.iter().any(|known| known.eq_ignore_ascii_case(name)) {
                names.push(name.to_string());
            }
        }
        names
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "support/messages/new.html")]
pub struct NewPage {
    pub page: PageContext,
    pub form: NewForm,
    pub errors: FieldErrors,
    /// (slug, name) of the domains whose members this member may write to at once.
    pub domains: Vec<(String, String)>,
}

impl NewPage {
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "support/messages/conversation.html")]
pub struct ConversationPage {
    pub page: PageContext,
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    /// Messages before the newest ones shown.
    pub earlier: i64,
    pub reply: String,
    pub key: SubmissionKey,
    pub errors: FieldErrors,
}

impl ConversationPage {
    /// Where the viewer had read to before: the messages after it are new to them.
    pub fn is_first_unread(&self, index: usize) -> bool {
        let read = i64::from(self.conversation.last_read_number);
        crate::forum::reading::is_first_unread(read, self.earlier + index as i64 + 1)
    }

    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }

    /// Whether the viewer is offered the flag form on `message` (`support::policy`).
    pub fn may_flag(&self, message: &Message) -> bool {
        self.page.user.as_ref().is_some_and(|viewer| {
            crate::support::policy::may_flag_message(viewer, message.author_id, message.hidden)
                .is_ok()
        })
    }

    pub fn is_viewer(&self, username: &str) -> bool {
        self.page
            .user
            .as_ref()
            .is_some_and(|u| u.username == username)
    }
}
