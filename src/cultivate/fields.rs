//! Cultivate's forms, parsed once: a domain's charter and an event's details. The web forms and
//! the community-file loader both call these, so a community file obeys the same limits as a
//! facilitator typing into the page. Each parser returns every problem with the field it
//! belongs to.

use time::PrimitiveDateTime;

use crate::forum::fields::{Title, MAX_BODY_CHARS};

/// A problem with one field: (field name, what to do about it).
pub type Problem = (&'static str, &'static str);

/// A domain's rhythms of upkeep: how often its repertoire entries come due for review
/// (`educate::upkeep`), and how many days after an answer is accepted the asker is asked
/// whether it worked (`integrate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rhythm {
    pub review_months: i32,
    pub followup_days: i32,
}

impl Rhythm {
    pub fn parse(review_months: &str, followup_days: &str) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let review_months = review_months
            .trim()
            .parse()
            .ok()
            .filter(|m| (1..=120).contains(m))
            .ok_or(())
            .map_err(|_| problems.push(("review_months", "Give a number of months from 1 to 120.")))
            .ok();
        let followup_days = followup_days
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or(())
            .map_err(|_| problems.push(("followup_days", "Give a number of days from 1 to 365.")))
            .ok();
        match (review_months, followup_days) {
            (Some(review_months), Some(followup_days)) => Ok(Rhythm {
                review_months,
                followup_days,
            }),
            _ => Err(problems),
        }
    }
}

const MAX_CHARTER_CHARS: usize = 20_000;
const MAX_FOCUS_CHARS: usize = 1000;

/// What a domain is for: its charter (Markdown), practice focus and audience.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charter {
    pub charter_md: String,
    pub practice_focus: String,
    pub audience: String,
}

impl Charter {
    pub fn parse(
        charter: &str,
        practice_focus: &str,
        audience: &str,
    ) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        if charter.trim().is_empty() {
            problems.push((
                "charter",
                "A domain needs a charter: what its members share.",
            ));
        } else if charter.chars().count() > MAX_CHARTER_CHARS {
            problems.push(("charter", "Keep the charter to 20 000 characters or fewer."));
        }
        for (field, value) in [("practice_focus", practice_focus), ("audience", audience)] {
            if value.chars().count() > MAX_FOCUS_CHARS {
                problems.push((field, "Keep this to 1000 characters or fewer."));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Charter {
            charter_md: charter.to_string(),
            practice_focus: practice_focus.trim().to_string(),
            audience: audience.trim().to_string(),
        })
    }
}

/// What an event form or a community file says of an event, as typed.
pub struct EventInput<'a> {
    pub title: &'a str,
    pub starts: &'a str,
    pub ends: &'a str,
    pub time_zone: &'a str,
    pub place: &'a str,
    pub link: &'a str,
    pub agenda: &'a str,
}

/// An event's checked details. Whether the time zone exists is PostgreSQL's to say, when the
/// event is written (`queries::create_event`).
pub struct EventDetails {
    pub title: Title,
    pub local_start: PrimitiveDateTime,
    pub local_end: PrimitiveDateTime,
    pub time_zone: String,
    pub place: String,
    pub link: String,
    pub agenda_md: String,
}

impl EventDetails {
    pub fn parse(input: &EventInput<'_>) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let title = Title::parse(input.title)
            .map_err(|why| problems.push(("title", why)))
            .ok();
        let starts = local_time(input.starts);
        let ends = local_time(input.ends);
        if starts.is_none() {
            problems.push(("starts", "Give a start date and time."));
        }
        if ends.is_none() {
            problems.push(("ends", "Give an end date and time."));
        }
        if let (Some(starts), Some(ends)) = (starts, ends) {
            if ends <= starts {
                problems.push(("ends", "The event must end after it starts."));
            }
        }
        let time_zone = input.time_zone.trim();
        if time_zone.is_empty() || time_zone.len() > 64 {
            problems.push((
                "time_zone",
                "Give a time zone such as Europe/Lisbon or UTC.",
            ));
        }
        let link = input.link.trim();
        let is_web_link = link.starts_with("https://") || link.starts_with("http://");
        if !link.is_empty() && !is_web_link {
            problems.push(("link", "A link starts with https:// or http://."));
        }
        if input.place.chars().count() > 300 || link.chars().count() > 500 {
            problems.push((
                "place",
                "Keep the place to 300 characters and the link to 500.",
            ));
        }
        if input.agenda.chars().count() > MAX_BODY_CHARS {
            problems.push(("agenda", "Keep the agenda to 100 000 characters or fewer."));
        }
        match (title, starts, ends) {
            (Some(title), Some(local_start), Some(local_end)) if problems.is_empty() => {
                Ok(EventDetails {
                    title,
                    local_start,
                    local_end,
                    time_zone: time_zone.to_string(),
                    place: input.place.trim().to_string(),
                    link: link.to_string(),
                    agenda_md: input.agenda.to_string(),
                })
            }
            _ => Err(problems),
        }
    }
}

/// `2026-12-01T18:00` (what a datetime-local input sends), seconds optional.
pub fn local_time(raw: &str) -> Option<PrimitiveDateTime> {
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let raw = raw.trim();
    PrimitiveDateTime::parse(raw, &minutes)
        .or_else(|_| PrimitiveDateTime::parse(raw, &seconds))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charters_need_text_within_limits() {
        assert!(Charter::parse("We grow food.", "", "").is_ok());
        let problems = Charter::parse(" ", &"x".repeat(1001), "").unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["charter", "practice_focus"]);
        assert!(Charter::parse(&"x".repeat(20_001), "", "").is_err());
    }

    #[test]
    fn events_end_after_they_start() {
        let input = EventInput {
            title: "Seed swap",
            starts: "2027-01-12T19:00",
            ends: "2027-01-12T18:00",
            time_zone: "Europe/Lisbon",
            place: "",
            link: "ftp://x",
            agenda: "",
        };
        let fields: Vec<_> = EventDetails::parse(&input)
            .err()
            .unwrap()
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(fields, ["ends", "link"]);
        assert!(local_time("2027-01-12T19:00:30").is_some());
        assert!(local_time("tomorrow").is_none());
    }
}
