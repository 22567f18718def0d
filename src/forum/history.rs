//! A post's history as Discourse shows it: every version with who wrote it and when, and what
//! changed from the version before, word by word (the `similar` crate). Diffs are of the
//! Markdown the members wrote, and are drawn by the template as escaped text.

use std::time::Duration;

use similar::{Algorithm, ChangeTag, TextDiff};
use time::OffsetDateTime;

use super::queries::{Post, Revision};

/// How long one diff may take before `similar` settles for a coarser one: two 100 000-character
/// bodies that share nothing must not hold a request.
const DIFF_TIMEOUT: Duration = Duration::from_millis(100);

/// A run of words the same in both versions, added, or removed.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Same(String),
    Added(String),
    Removed(String),
}

/// The changes that turn `old` into `new`, adjacent words of one kind joined into one run.
pub fn word_diff(old: &str, new: &str) -> Vec<Change> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(DIFF_TIMEOUT)
        .diff_words(old, new);
    let mut changes: Vec<Change> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match (change.tag(), changes.last_mut()) {
            (ChangeTag::Equal, Some(Change::Same(run)))
            | (ChangeTag::Insert, Some(Change::Added(run)))
            | (ChangeTag::Delete, Some(Change::Removed(run))) => run.push_str(text),
            (ChangeTag::Equal, _) => changes.push(Change::Same(text.to_string())),
            (ChangeTag::Insert, _) => changes.push(Change::Added(text.to_string())),
            (ChangeTag::Delete, _) => changes.push(Change::Removed(text.to_string())),
        }
    }
    changes
}

/// One version of a post on its history page.
pub struct Version {
    /// From 1, the version the post was first written as.
    pub number: usize,
    /// The stored earlier version a facilitator may revert to; none for the current one.
    pub revision_id: Option<i64>,
    pub writer_username: Option<String>,
    pub writer_name: Option<String>,
    pub written_at: OffsetDateTime,
    pub body_html: String,
    /// What changed from the version before; empty for the first.
    pub changes: Vec<Change>,
}

/// Every version of a post, newest first: the current one (`post`, written as `body_md`), by
/// `editor` (or the author if nobody else has written it), then the earlier ones, each with its
/// changes.
pub fn versions(
    post: &Post,
    body_md: String,
    editor: Option<(String, String)>,
    earlier: Vec<Revision>,
) -> Vec<Version> {
    let (editor_username, editor_name) =
        editor.unwrap_or_else(|| (post.author_username.clone(), post.author_name.clone()));
    let total = earlier.len() + 1;
    let mut versions = vec![Version {
        number: total,
        revision_id: None,
        writer_username: Some(editor_username),
        writer_name: Some(editor_name),
        written_at: post.edited_at.unwrap_or(post.created_at),
        body_html: post.body_html.clone(),
        changes: Vec::new(),
    }];
    let mut newer_md = body_md;
    for (i, revision) in earlier.into_iter().enumerate() {
        if let Some(newer) = versions.last_mut() {
            newer.changes = word_diff(&revision.body_md, &newer_md);
        }
        newer_md = revision.body_md;
        versions.push(Version {
            number: total - 1 - i,
            revision_id: Some(revision.id),
            writer_username: revision.writer_username,
            writer_name: revision.writer_name,
            written_at: revision.written_at,
            body_html: revision.body_html,
            changes: Vec::new(),
        });
    }
    versions
}

#[cfg(test)]
mod tests {
    use super::{word_diff, Change};

    #[test]
    fn a_changed_word_is_removed_and_added_and_the_rest_stays() {
        assert_eq!(
            word_diff("Cover at two degrees.", "Cover at four degrees."),
            vec![
                Change::Same("Cover at ".into()),
                Change::Removed("two".into()),
                Change::Added("four".into()),
                Change::Same(" degrees.".into()),
            ]
        );
    }

    /// Both versions, put back together from the runs.
    fn sides(changes: &[Change]) -> (String, String) {
        let (mut before, mut after) = (String::new(), String::new());
        for change in changes {
            match change {
                Change::Same(text) => {
                    before.push_str(text);
                    after.push_str(text);
                }
                Change::Removed(text) => before.push_str(text),
                Change::Added(text) => after.push_str(text),
            }
        }
        (before, after)
    }

    #[test]
    fn the_runs_put_back_together_give_both_versions() {
        let old = "Mulch in spring.\n\nWater **deeply** once a week.";
        let new = "Mulch in autumn and spring.\n\nWater deeply twice a week.";
        assert_eq!(sides(&word_diff(old, new)), (old.into(), new.into()));
    }

    /// Two long bodies with nothing in common, the worst case of the search: the diff settles
    /// for a coarser answer at its timeout, which is still a true account of both.
    #[test]
    fn two_long_unrelated_bodies_still_give_a_true_diff() {
        let old: String = (0..20_000).map(|i| format!("a{i} ")).collect();
        let new: String = (0..20_000).map(|i| format!("b{i} ")).collect();
        assert_eq!(sides(&word_diff(&old, &new)), (old, new));
    }
}
