//! Events: a domain's meetups, calls and workshops. Start and end are entered as local times
//! in a named time zone; PostgreSQL, which carries the IANA time-zone database, turns them into
//! instants and refuses a zone it does not know. Members RSVP going / maybe / not until the
//! event has ended, and each event has an iCalendar (.ics) file.

use sqlx::PgPool;
use time::{OffsetDateTime, PrimitiveDateTime};

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub domain_id: i64,
    pub title: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub time_zone: String,
    pub local_start: PrimitiveDateTime,
    pub local_end: PrimitiveDateTime,
    pub place: String,
    pub link: String,
    pub agenda_html: String,
    pub created_by_name: String,
    pub going: i64,
    pub maybe: i64,
    pub not_going: i64,
}

impl Event {
    pub fn is_over(&self) -> bool {
        self.ends_at < OffsetDateTime::now_utc()
    }

    pub fn when(&self) -> String {
        let format = time::macros::format_description!(
            "[weekday repr:short] [day padding:none] [month repr:short] [year], [hour]:[minute]"
        );
        let end = time::macros::format_description!("[hour]:[minute]");
        let start = self.local_start.format(&format).unwrap_or_default();
        let finish = if self.local_start.date() == self.local_end.date() {
            self.local_end.format(&end).unwrap_or_default()
        } else {
            self.local_end.format(&format).unwrap_or_default()
        };
        format!("{start} – {finish} ({})", self.time_zone)
    }
}

const EVENT: &str = "
    SELECT e.id, e.domain_id, e.title, e.starts_at, e.ends_at, e.time_zone,
           e.starts_at AT TIME ZONE e.time_zone AS local_start,
           e.ends_at AT TIME ZONE e.time_zone AS local_end,
           e.place, e.link, e.agenda_html, u.display_name AS created_by_name,
           count(r.*) FILTER (WHERE r.status = 'going') AS going,
           count(r.*) FILTER (WHERE r.status = 'maybe') AS maybe,
           count(r.*) FILTER (WHERE r.status = 'not') AS not_going
      FROM events e
      JOIN users u ON u.id = e.created_by
      LEFT JOIN event_rsvps r ON r.event_id = e.id";

pub async fn event(db: &PgPool, id: i64) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(&format!(
        "{EVENT} WHERE e.id = $1 GROUP BY e.id, u.display_name"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Upcoming events (not yet ended) soonest first, then the 20 most recent past ones.
pub async fn domain_events(db: &PgPool, domain_id: i64) -> sqlx::Result<(Vec<Event>, Vec<Event>)> {
    let upcoming = sqlx::query_as(&format!(
        "{EVENT} WHERE e.domain_id = $1 AND e.ends_at >= now() GROUP BY e.id, u.display_name ORDER BY e.starts_at, e.id LIMIT 100"
    ))
    .bind(domain_id)
    .fetch_all(db)
    .await?;
    let past = sqlx::query_as(&format!(
        "{EVENT} WHERE e.domain_id = $1 AND e.ends_at < now() GROUP BY e.id, u.display_name ORDER BY e.starts_at DESC, e.id DESC LIMIT 20"
    ))
    .bind(domain_id)
    .fetch_all(db)
    .await?;
    Ok((upcoming, past))
}

pub struct NewEvent<'a> {
    pub domain_id: i64,
    pub created_by: i64,
    pub title: &'a str,
    pub local_start: PrimitiveDateTime,
    pub local_end: PrimitiveDateTime,
    pub time_zone: &'a str,
    pub place: &'a str,
    pub link: &'a str,
    pub agenda_md: &'a str,
}

pub enum Scheduled {
    Created(i64),
    UnknownTimeZone,
    EndsBeforeStart,
}

pub async fn create(db: &PgPool, event: NewEvent<'_>) -> sqlx::Result<Scheduled> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO events (domain_id, created_by, title, starts_at, ends_at, time_zone, place, link, agenda_md, agenda_html)
         VALUES ($1, $2, $3, $4 AT TIME ZONE $6, $5 AT TIME ZONE $6, $6, $7, $8, $9, $10)
         RETURNING id",
    )
    .bind(event.domain_id)
    .bind(event.created_by)
    .bind(event.title)
    .bind(event.local_start)
    .bind(event.local_end)
    .bind(event.time_zone)
    .bind(event.place)
    .bind(event.link)
    .bind(event.agenda_md)
    .bind(crate::markdown::render(event.agenda_md))
    .fetch_one(db)
    .await;
    match inserted {
        Ok(id) => Ok(Scheduled::Created(id)),
        // invalid_parameter_value: "time zone … not recognized"
        Err(sqlx::Error::Database(err)) if err.code().as_deref() == Some("22023") => {
            Ok(Scheduled::UnknownTimeZone)
        }
        // check_violation on ends_at > starts_at (also after a daylight-saving jump)
        Err(sqlx::Error::Database(err)) if err.code().as_deref() == Some("23514") => {
            Ok(Scheduled::EndsBeforeStart)
        }
        Err(err) => Err(err),
    }
}

pub async fn rsvp_of(db: &PgPool, event_id: i64, user_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT status FROM event_rsvps WHERE event_id = $1 AND user_id = $2")
        .bind(event_id)
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// Records an RSVP unless the event has ended (checked in the statement). Returns whether it
/// was recorded.
pub async fn rsvp(db: &PgPool, event_id: i64, user_id: i64, status: &str) -> sqlx::Result<bool> {
    let recorded = sqlx::query(
        "INSERT INTO event_rsvps (event_id, user_id, status)
         SELECT id, $2, $3 FROM events WHERE id = $1 AND ends_at >= now()
         ON CONFLICT (event_id, user_id) DO UPDATE SET status = excluded.status, updated_at = now()",
    )
    .bind(event_id)
    .bind(user_id)
    .bind(status)
    .execute(db)
    .await?;
    Ok(recorded.rows_affected() == 1)
}

/// The event as an RFC 5545 calendar.
pub fn ics(event: &Event, base_url: &str, agenda_text: &str) -> String {
    let stamp = |at: OffsetDateTime| {
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        at.to_offset(time::UtcOffset::UTC)
            .format(&format)
            .unwrap_or_default()
    };
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or("commonplace")
        .split('/')
        .next()
        .unwrap_or("commonplace");
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Commonplace//Events//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "BEGIN:VEVENT".to_string(),
        format!("UID:event-{}@{}", event.id, host),
        format!("DTSTAMP:{}", stamp(OffsetDateTime::now_utc())),
        format!("DTSTART:{}", stamp(event.starts_at)),
        format!("DTEND:{}", stamp(event.ends_at)),
        format!("SUMMARY:{}", ics_text(&event.title)),
        format!("URL:{base_url}/e/{}", event.id),
    ];
    if !event.place.is_empty() {
        lines.push(format!("LOCATION:{}", ics_text(&event.place)));
    }
    let mut description = agenda_text.to_string();
    if !event.link.is_empty() {
        description = format!("{} {}", event.link, description).trim().to_string();
    }
    if !description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", ics_text(&description)));
    }
    lines.push("END:VEVENT".to_string());
    lines.push("END:VCALENDAR".to_string());
    lines
        .iter()
        .map(|line| fold(line))
        .collect::<Vec<_>>()
        .join("")
}

/// Escapes TEXT values (RFC 5545 3.3.11).
fn ics_text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character, and ends it
/// with CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_folded() {
        assert_eq!(ics_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let folded = fold(&format!("SUMMARY:{}", "é".repeat(60)));
        assert!(
            folded.split("\r\n").all(|line| line.len() <= 75),
            "{folded:?}"
        );
        assert!(folded.ends_with("\r\n"));
    }
}
