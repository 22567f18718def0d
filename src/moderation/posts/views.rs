use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::forum::queries::{Post, Thread};
use crate::web::{FieldErrors, PageContext};

/// "Hide": the reason a facilitator gives, asked on a page of its own so a long thread does
/// not carry a hide form under every post.
#[derive(Template, WebTemplate)]
#[template(path = "moderation/hide_post.html")]
pub struct HidePostPage {
    pub page: PageContext,
    pub thread: Thread,
    pub post: Post,
    pub reason: String,
    pub errors: FieldErrors,
}

impl HidePostPage {
    /// The page asking why, with nothing entered yet.
    pub fn asking(page: PageContext, thread: Thread, post: Post) -> Self {
        HidePostPage {
            page,
            thread,
            post,
            reason: String::new(),
            errors: FieldErrors::default(),
        }
    }

    /// 422 with the problem named and the reason kept.
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}
