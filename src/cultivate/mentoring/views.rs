//! `/d/{slug}/mentors`.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::queries::{Mentorship, Offer};
use crate::forum::queries::Domain;
use crate::web::{FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "cultivate/mentors.html")]
pub struct MentorsPage {
    pub page: PageContext,
    pub domain: Domain,
    pub offers: Vec<Offer>,
    /// The viewer's own request or pairing.
    pub mine: Option<Mentorship>,
    /// Every request and pairing, for the domain's facilitators; empty for others.
    pub all: Vec<Mentorship>,
    pub can_pair: bool,
    pub can_post: bool,
    /// The forms' fields, as sent (or the viewer's offer's tags).
    pub offer_tags: String,
    pub mentor: String,
    pub note: String,
    pub errors: FieldErrors,
}

impl MentorsPage {
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }

    pub fn offers_to(&self) -> bool {
        self.page
            .user
            .as_ref()
            .is_some_and(|u| self.offers.iter().any(|o| o.user_id == u.id))
    }

    /// Those who offered, but the viewer.
    pub fn others(&self) -> Vec<&Offer> {
        let me = self.page.user.as_ref().map(|u| u.id);
        self.offers
            .iter()
            .filter(|o| Some(o.user_id) != me)
            .collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cultivate/start.html")]
pub struct StartPage {
    pub page: PageContext,
    pub domain: Domain,
    /// The member's stated expertise, to say what the questions were chosen by.
    pub expertise: Vec<String>,
    pub questions: Vec<super::starter::Start>,
    pub entries: Vec<super::starter::Start>,
    pub introductions: Vec<super::starter::Introduction>,
}
