//! Integrate's pages.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::fields::ReportInput;
use super::queries::{Commitment, Report, ValueStage};
use crate::web::submission::SubmissionKey;
use crate::web::{FieldErrors, PageContext};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportForm {
    pub context: String,
    pub tried: String,
    pub outcome: String,
    pub reflection: String,
    /// One ticked box per value stage: `value_applied=on` and so on (optional).
    pub value_immediate: String,
    pub value_potential: String,
    pub value_applied: String,
    pub value_realized: String,
    pub value_reframing: String,
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

/// Every practice report on a thread, newest first, a page at a time.
#[derive(Template, WebTemplate)]
#[template(path = "integrate/thread_reports.html")]
pub struct ThreadReportsPage {
    pub page: PageContext,
    pub thread_id: i64,
    pub thread_title: String,
    pub reports: Vec<Report>,
    /// Whether this page starts somewhere other than the newest report.
    pub is_first_page: bool,
    /// The report that starts the next page.
    pub next: Option<i64>,
}

/// Every practice report on a repertoire entry, newest first, a page at a time.
#[derive(Template, WebTemplate)]
#[template(path = "integrate/entry_reports.html")]
pub struct EntryReportsPage {
    pub page: PageContext,
    pub entry_id: i64,
    pub entry_title: String,
    pub reports: Vec<Report>,
    /// A facilitator of the entry's domain: "Add to What we learned" under each report.
    pub can_moderate: bool,
    /// Whether this page starts somewhere other than the newest report.
    pub is_first_page: bool,
    /// The report that starts the next page.
    pub next: Option<i64>,
}

impl ThreadReportsPage {
    /// The first page; the next ones start at a report (`?from=`).
    pub fn reports_href(&self) -> String {
        format!("/t/{}/reports", self.thread_id)
    }
}

impl EntryReportsPage {
    /// The first page; the next ones start at a report (`?from=`).
    pub fn reports_href(&self) -> String {
        format!("/r/{}/reports", self.entry_id)
    }
}

impl ReportForm {
    /// The report as sent, for `ReportContent::parse`; the stages ticked, in the framework's
    /// order.
    pub fn input(&self) -> ReportInput<'_> {
        ReportInput {
            context: &self.context,
            tried: &self.tried,
            outcome: &self.outcome,
            reflection: &self.reflection,
            value_stages: ValueStage::ALL
                .into_iter()
                .filter(|stage| !self.box_of(*stage).is_empty())
                .map(ValueStage::as_str)
                .collect(),
        }
    }

    fn box_of(&self, stage: ValueStage) -> &str {
        match stage {
            ValueStage::Immediate => &self.value_immediate,
            ValueStage::Potential => &self.value_potential,
            ValueStage::Applied => &self.value_applied,
            ValueStage::Realized => &self.value_realized,
            ValueStage::Reframing => &self.value_reframing,
        }
    }

    /// Ticks the boxes of stored stages (editing a report).
    pub fn tick(&mut self, stages: &[String]) {
        for stage in stages.iter().filter_map(|s| ValueStage::parse(s)) {
            let ticked = "on".to_string();
            match stage {
                ValueStage::Immediate => self.value_immediate = ticked,
                ValueStage::Potential => self.value_potential = ticked,
                ValueStage::Applied => self.value_applied = ticked,
                ValueStage::Realized => self.value_realized = ticked,
                ValueStage::Reframing => self.value_reframing = ticked,
            }
        }
    }

    /// For the form: every stage, whether ticked.
    pub fn stage_boxes(&self) -> Vec<(ValueStage, bool)> {
        ValueStage::ALL
            .into_iter()
            .map(|stage| (stage, !self.box_of(stage).is_empty()))
            .collect()
    }
}
