//! Cultivate's pages.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::charts::Chart;
use super::events::Event;
use super::health::{human_hours, Health};
use crate::forum::queries::Domain;
use crate::web::{FieldErrors, PageContext};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CharterForm {
    pub charter: String,
    pub practice_focus: String,
    pub audience: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cultivate/charter.html")]
pub struct CharterPage {
    pub page: PageContext,
    pub domain: Domain,
    pub form: CharterForm,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "cultivate/events.html")]
pub struct EventsPage {
    pub page: PageContext,
    pub domain: Domain,
    pub can_schedule: bool,
    pub upcoming: Vec<Event>,
    pub past: Vec<Event>,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct EventForm {
    pub title: String,
    pub starts: String,
    pub ends: String,
    pub time_zone: String,
    pub place: String,
    pub link: String,
    pub agenda: String,
}

impl Default for EventForm {
    fn default() -> Self {
        EventForm {
            title: String::new(),
            starts: String::new(),
            ends: String::new(),
            time_zone: "UTC".into(),
            place: String::new(),
            link: String::new(),
            agenda: String::new(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cultivate/event_form.html")]
pub struct EventFormPage {
    pub page: PageContext,
    pub domain: Domain,
    pub form: EventForm,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "cultivate/event.html")]
pub struct EventPage {
    pub page: PageContext,
    pub domain: Domain,
    pub event: Event,
    pub my_rsvp: Option<String>,
    pub can_rsvp: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "cultivate/health.html")]
pub struct HealthPage {
    pub page: PageContext,
    pub domain: Domain,
    pub health: Health,
    pub charts: Vec<Chart>,
}

impl HealthPage {
    pub fn median(&self) -> String {
        self.health
            .median_first_reply_hours
            .map(human_hours)
            .unwrap_or_else(|| "no replies in the last 90 days".into())
    }
}
