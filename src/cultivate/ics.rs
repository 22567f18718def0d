//! An event as an RFC 5545 calendar file: escaping and line folding as the standard says.

use time::OffsetDateTime;

use super::queries::Event;

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

/// Escapes TEXT values (RFC 5545 3.3.11). Every line break (CRLF, LF or a bare CR) becomes
/// `\n`; other control characters, which TEXT cannot carry, are dropped.
fn ics_text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\\n")
        .chars()
        .filter(|c| *c == '\t' || !c.is_control())
        .collect()
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
        assert_eq!(ics_text("a\rb\r\nc\u{7}d\te"), "a\\nb\\ncd\te");
        let folded = fold(&format!("SUMMARY:{}", "é".repeat(60)));
        assert!(
            folded.split("\r\n").all(|line| line.len() <= 75),
            "{folded:?}"
        );
        assert!(folded.ends_with("\r\n"));
    }
}
