//! Mentoring's fields, checked once for the `/d/{slug}/mentors` forms and the community-file
//! loader.

use crate::forum::tags;

/// The topics a mentor offers to help with: tags as `forum::tags` parses them, at least one.
pub fn offer_tags(raw: &str) -> Result<Vec<String>, String> {
    match tags::parse(raw)? {
        topics if topics.is_empty() => Err("Name at least one topic you can help with.".into()),
        topics => Ok(topics),
    }
}

/// A newcomer's note with their request.
pub fn note(raw: &str) -> Result<&str, &'static str> {
    let note = raw.trim();
    match note.chars().count() > 1000 {
        true => Err("Keep the note to 1000 characters or fewer."),
        false => Ok(note),
    }
}

/// Why a newcomer cannot choose `wanted`: they did not offer to mentor in the domain (or are
/// the newcomer themself).
pub fn not_offered(wanted: &str, domain_name: &str) -> String {
    format!(
        "{wanted} has not offered to mentor in {domain_name}: choose one who has, or leave it to the facilitators."
    )
}
