use askama::Template;
use askama_web::WebTemplate;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::queries::FlaggedPost;
use crate::forum::queries::{Domain, Post, Thread};
use crate::moderation::fields::{FlagForm, FlagReason};
use crate::web::{FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "moderation/flags.html")]
pub struct FlagQueuePage {
    pub page: PageContext,
    pub domain: Domain,
    pub posts: Vec<FlaggedPost>,
}

/// "Flag": why a post needs the facilitators, asked on a page of its own so a long thread
/// does not carry a flag form under every post.
#[derive(Template, WebTemplate)]
#[template(path = "moderation/flag.html")]
pub struct FlagPostPage {
    pub page: PageContext,
    pub thread: Thread,
    pub post: Post,
    /// The member's flag on it still waits for review: no second one is offered.
    pub already_flagged: bool,
    pub form: FlagForm,
    pub errors: FieldErrors,
}

impl FlagPostPage {
    pub fn reasons(&self) -> [FlagReason; 4] {
        FlagReason::FOR_POSTS
    }

    /// 422 with the problem named and the member's choice and note kept.
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}
