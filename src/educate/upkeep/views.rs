//! The review queue and an entry's upkeep page.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::queries::{Act, Waiting};
use crate::educate::queries::Entry;
use crate::forum::queries::Domain;
use crate::web::{FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "educate/review.html")]
pub struct ReviewQueuePage {
    pub page: PageContext,
    pub domain: Domain,
    pub waiting: Vec<Waiting>,
}

/// The upkeep form as sent: what to do, and what that needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UpkeepForm {
    /// `verify`, `review_by`, `needs_review`, `outdated` or `obsolete`.
    pub act: String,
    /// A date (`YYYY-MM-DD`) after today; for `verify` it may be left empty.
    pub review_by: String,
    /// For `obsolete`: the replacing entry, as its number or its address (`/r/12`).
    pub replacement: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "educate/upkeep.html")]
pub struct UpkeepPage {
    pub page: PageContext,
    pub domain: Domain,
    pub entry: Entry,
    pub form: UpkeepForm,
    /// The steward field, as sent (facilitators only).
    pub steward: String,
    pub errors: FieldErrors,
    pub history: Vec<Act>,
    pub can_appoint: bool,
    /// Today, the earliest the date field takes is the day after.
    pub tomorrow: String,
}

impl UpkeepPage {
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }

    pub fn is_act(&self, act: &str) -> bool {
        self.form.act == act
    }
}
