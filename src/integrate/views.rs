//! Integrate's pages.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::queries::Commitment;
use crate::web::submission::SubmissionKey;
use crate::web::{FieldErrors, PageContext};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportForm {
    pub context: String,
    pub tried: String,
    pub outcome: String,
    pub reflection: String,
    /// A new report is filed once, however often the form is sent.
    pub key: SubmissionKey,
}

#[derive(Template, WebTemplate)]
#[template(path = "integrate/report_form.html")]
pub struct ReportFormPage {
    pub page: PageContext,
    pub heading: String,
    pub subject_title: String,
    pub action: String,
    pub back: String,
    pub form: ReportForm,
    pub errors: FieldErrors,
}

/// A commitment as typed: kept whole when the form comes back with a problem.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommitForm {
    pub intention: String,
    pub due_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "integrate/commit_form.html")]
pub struct CommitFormPage {
    pub page: PageContext,
    pub entry_id: i64,
    pub entry_title: String,
    /// The earliest day the date field offers (YYYY-MM-DD).
    pub today: String,
    pub form: CommitForm,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "integrate/commitments.html")]
pub struct CommitmentsPage {
    pub page: PageContext,
    pub open: Vec<Commitment>,
    pub fulfilled: Vec<Commitment>,
    pub today: time::Date,
}
