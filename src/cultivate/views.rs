//! Cultivate's pages.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::charts::Chart;
use super::fields::EventInput;
use super::queries::Event;
use super::queries::Health;
use crate::forum::queries::Domain;
use crate::web::submission::SubmissionKey;
use crate::web::{FieldErrors, PageContext};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CharterForm {
    pub charter: String,
    pub practice_focus: String,
    pub audience: String,
    /// `fields::Rhythm`, as typed.
    pub review_months: String,
    pub followup_days: String,
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
    /// An event is scheduled once, however often the form is sent.
    pub key: SubmissionKey,
}

impl EventForm {
    /// What the form says, for the parser it shares with the community-file loader.
    pub fn input(&self) -> EventInput<'_> {
        EventInput {
            title: &self.title,
            starts: &self.starts,
            ends: &self.ends,
            time_zone: &self.time_zone,
            place: &self.place,
            link: &self.link,
            agenda: &self.agenda,
        }
    }
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
            key: SubmissionKey::default(),
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

/// "30 minutes", "5.0 hours", "1.5 days".
pub fn human_hours(hours: f64) -> String {
    if hours < 1.0 {
        format!("{} minutes", (hours * 60.0).round())
    } else if hours < 48.0 {
        format!("{:.1} hours", hours)
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// A month as the value profile names it: "November 2026".
pub fn month_name(first_day: &time::Date) -> String {
    format!("{} {}", first_day.month(), first_day.year())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hours_read_naturally() {
        assert_eq!(super::human_hours(0.5), "30 minutes");
        assert_eq!(super::human_hours(5.0), "5.0 hours");
        assert_eq!(super::human_hours(72.0), "3.0 days");
    }
}
