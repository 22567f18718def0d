//! The repertoire's pages.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::queries::{Entry, EntryRevision, EntrySummary};
use crate::forum::queries::Domain;
use crate::forum::views::EditConflict;
use crate::integrate::queries::{Learning, Report};
use crate::web::submission::SubmissionKey;
use crate::web::{url_encode, FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "educate/repertoire.html")]
pub struct RepertoirePage {
    pub page: PageContext,
    pub domain: Domain,
    pub can_write: bool,
    /// Facilitators and stewards: a link to the review queue.
    pub can_review: bool,
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub most_applied: bool,
    pub kind_counts: Vec<(String, i64)>,
    pub tag_counts: Vec<(String, i64)>,
    pub entries: Vec<EntrySummary>,
    pub next: Option<String>,
}

impl RepertoirePage {
    /// A link to this list with one filter changed.
    pub fn link(&self, kind: Option<&str>, tag: Option<&str>, most_applied: &bool) -> String {
        let mut query = Vec::new();
        if let Some(kind) = kind {
            query.push(format!("kind={}", url_encode(kind)));
        }
        if let Some(tag) = tag {
            query.push(format!("tag={}", url_encode(tag)));
        }
        if *most_applied {
            query.push("sort=applied".to_string());
        }
        let base = format!("/d/{}/repertoire", self.domain.slug);
        if query.is_empty() {
            base
        } else {
            format!("{base}?{}", query.join("&"))
        }
    }

    pub fn next_link(&self, cursor: &str) -> String {
        let base = self.link(
            self.kind.as_deref(),
            self.tag.as_deref(),
            &self.most_applied,
        );
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}after={cursor}")
    }

    pub fn heading(&self) -> String {
        match (&self.tag, &self.kind) {
            (Some(tag), _) => format!("Tagged “{tag}”"),
            (None, Some(kind)) => format!("{} entries", capitalise(kind)),
            (None, None) => "Shared repertoire".to_string(),
        }
    }
}

pub fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Template, WebTemplate)]
#[template(path = "educate/entry.html")]
pub struct EntryPage {
    pub page: PageContext,
    pub domain: Domain,
    pub entry: Entry,
    pub can_edit: bool,
    /// Members of the domain may report back and commit; facilitators fold reports in.
    pub can_report: bool,
    pub can_moderate: bool,
    /// The newest reports (`integrate::queries::NEWEST_SHOWN`).
    pub reports: Vec<Report>,
    /// Whether there are older reports, on the entry's reports page.
    pub more_reports: bool,
    pub learnings: Vec<Learning>,
    pub today: String,
    /// The steward or a facilitator: "Review this entry" (`policy::may_keep`).
    pub can_keep: bool,
    /// Its upkeep history, newest first.
    pub history: Vec<super::upkeep::queries::Act>,
}

impl EntryPage {
    pub fn tag_link(&self, tag: &str) -> String {
        format!("/d/{}/repertoire?tag={}", self.domain.slug, url_encode(tag))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub tags: String,
    /// The post being promoted, if any.
    pub from: String,
    /// New entries: made once, however often the form is sent.
    pub key: SubmissionKey,
    /// Edits: the version of the entry the form was opened on.
    pub version: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "educate/entry_form.html")]
pub struct EntryFormPage {
    pub page: PageContext,
    pub domain: Domain,
    pub heading: String,
    pub action: String,
    pub cancel: String,
    pub source_title: Option<String>,
    pub form: EntryForm,
    pub errors: FieldErrors,
    /// For an edit: the version someone else saved while this member was editing.
    pub conflict: Option<EditConflict>,
}

impl EntryFormPage {
    pub fn kinds(&self) -> [&'static str; 5] {
        super::fields::KINDS
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "educate/entry_revisions.html")]
pub struct EntryRevisionsPage {
    pub page: PageContext,
    pub entry: Entry,
    pub revisions: Vec<EntryRevision>,
}
