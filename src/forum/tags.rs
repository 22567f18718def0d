//! Tags, on threads and on repertoire entries: one parser for what members type and one for
//! lists nobody typed (a community file, the expertise list), so a tag is stored the same way
//! wherever it comes from.

use sqlx::PgPool;

use crate::error::AppError;
use crate::web::CurrentUser;

use super::queries::{
    with_marks, Cursor, Thread, ThreadSummary, LATEST_FIRST, THREADS_PER_PAGE, THREAD_SUMMARY,
};

const MAX_TAGS: usize = 12;
const MAX_TAG_CHARS: usize = 40;

/// The thread's author (while they may post in its domain and it is not locked) and the
/// domain's facilitators change a thread's tags; the thread page offers it on the same terms.
pub fn may_edit(viewer: Option<&CurrentUser>, thread: &Thread) -> Result<(), AppError> {
    let access = thread.access(viewer);
    access.require_read()?;
    let author = viewer.is_some_and(|u| u.id == thread.author_id);
    if access.can_moderate() || (author && access.can_post() && !thread.locked) {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "Only the thread's author or a facilitator can change its tags.",
    ))
}

pub async fn set(db: &PgPool, thread_id: i64, tags: &[String]) -> sqlx::Result<()> {
    sqlx::query("UPDATE threads SET tags = $2 WHERE id = $1")
        .bind(thread_id)
        .bind(tags)
        .execute(db)
        .await
        .map(|_| ())
}

/// A tag named in a URL (`/tags/{tag}`): exactly one tag, as stored.
pub fn one(raw: &str) -> Option<String> {
    match parse(raw) {
        Ok(mut tags) if tags.len() == 1 && !raw.contains(',') => tags.pop(),
        _ => None,
    }
}

/// One page of the threads tagged `tag` in the domains `viewer` may read, latest activity
/// first, after `before`, with the viewer's marks. Its own page lists a tag's threads even when
/// the viewer muted it, as a muted domain's page does.
pub async fn threads(
    db: &PgPool,
    tag: &str,
    before: Option<Cursor>,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<ThreadSummary>> {
    let list = format!(
        "{THREAD_SUMMARY}
          WHERE t.tags @> ARRAY[$1] AND NOT t.hidden AND domain_readable(t.domain_id, $4)
            AND ($2::timestamptz IS NULL OR (t.last_posted_at, t.id) < ($2, $3))
          ORDER BY t.last_posted_at DESC, t.id DESC
          LIMIT {THREADS_PER_PAGE}"
    );
    sqlx::query_as(&with_marks(&list, "$4", LATEST_FIRST))
        .bind(tag)
        .bind(before.map(|c| c.at))
        .bind(before.map(|c| c.id))
        .bind(viewer)
        .fetch_all(db)
        .await
}

/// One tag as stored: lower-case, with its white space trimmed and folded to single spaces.
pub fn normalise(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Normalised, deduplicated tags from a list nobody typed into a form (a community file, the
/// expertise list), quietly leaving out those with no letter or digit.
pub fn normalise_all(raw: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| normalise(t)) {
        if tag.chars().any(char::is_alphanumeric) && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// Tags from a comma-separated list: lower-case, trimmed, deduplicated. A tag with no letter or
/// digit is refused rather than silently dropped, so the member sees what happened.
pub fn parse(raw: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for part in raw.split(',') {
        let tag = normalise(part);
        if tag.is_empty() {
            continue;
        }
        if !tag.chars().any(char::is_alphanumeric) {
            return Err(format!(
                "“{tag}” is not a tag: a tag needs a letter or a digit."
            ));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err("Keep each tag to 40 characters or fewer.".into());
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err("Use at most 12 tags.".into());
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_punctuation_refused() {
        assert_eq!(
            parse(" Soil,  soil , No  Dig,,").unwrap(),
            vec!["soil", "no dig"]
        );
        assert!(parse("soil, !!!").unwrap_err().contains("“!!!”"));
        assert!(parse(&"x".repeat(41)).is_err(), "a tag over 40 characters");
        let many = (0..13)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse(&many).is_err());
        assert_eq!(parse("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn lists_drop_punctuation_quietly() {
        let raw = vec![
            " Soil ".to_string(),
            "soil".into(),
            "!!!".into(),
            "No  Dig".into(),
        ];
        assert_eq!(normalise_all(&raw), vec!["soil", "no dig"]);
    }
}
