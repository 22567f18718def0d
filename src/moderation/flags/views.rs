use askama::Template;
use askama_web::WebTemplate;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::queries::FlaggedPost;
use crate::forum::queries::{Domain, Post, Thread};
use crate::moderation::fields::{FlagForm, FlagReason};
use crate::moderation::message_flags::queries::Flaggable;
use crate::web::{FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "moderation/flags.html")]
pub struct FlagQueuePage {
    pub page: PageContext,
    pub domain: Domain,
    pub posts: Vec<FlaggedPost>,
}

/// "Flag": why a post needs its domain's facilitators, or a private message the site's admins,
/// asked on a page of its own so a long thread or conversation does not carry a flag form
/// under every post.
#[derive(Template, WebTemplate)]
#[template(path = "moderation/flag.html")]
pub struct FlagPage {
    pub page: PageContext,
    /// "post" or "message".
    pub what: &'static str,
    /// The thread's title, or "Conversation"; "back" leads there.
    pub back_label: String,
    pub back_href: String,
    pub author_name: String,
    pub body_html: String,
    /// Who reviews the flag, as the page names them.
    pub reviewers: String,
    /// Where the form is sent.
    pub action: String,
    /// The message flagged, sent with the form (a post's id is in the action).
    pub message_id: Option<i64>,
    pub reasons: &'static [FlagReason],
    /// The member's flag on it still waits for review: no second one is offered.
    pub already_flagged: bool,
    pub form: FlagForm,
    pub errors: FieldErrors,
}

impl FlagPage {
    pub fn for_post(
        page: PageContext,
        thread: &Thread,
        post: &Post,
        already_flagged: bool,
    ) -> Self {
        FlagPage {
            page,
            what: "post",
            back_label: thread.title.clone(),
            back_href: format!("/p/{}", post.id),
            author_name: post.author_name.clone(),
            body_html: post.body_html.clone(),
            reviewers: format!("the facilitators of {}", thread.domain_name),
            action: format!("/p/{}/flag", post.id),
            message_id: None,
            reasons: &FlagReason::FOR_POSTS,
            already_flagged,
            form: FlagForm::default(),
            errors: FieldErrors::default(),
        }
    }

    pub fn for_message(page: PageContext, message: &Flaggable) -> Self {
        FlagPage {
            page,
            what: "message",
            back_label: "Conversation".into(),
            back_href: format!("/messages/{}#m{}", message.conversation_id, message.id),
            author_name: message.author_name.clone(),
            body_html: message.body_html.clone(),
            reviewers: "the site's admins".into(),
            action: format!("/messages/{}/flag", message.conversation_id),
            message_id: Some(message.id),
            reasons: &FlagReason::FOR_MESSAGES,
            already_flagged: message.flagged_by_viewer,
            form: FlagForm::default(),
            errors: FieldErrors::default(),
        }
    }

    /// Records the problem a form had, keeping what the member chose and wrote.
    pub fn with_problem(
        mut self,
        form: FlagForm,
        (field, problem): (&'static str, String),
    ) -> Self {
        self.errors.add(field, problem);
        self.form = form;
        self
    }

    /// 422 with the problem named and the member's choice and note kept.
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}
