//! A practice report's fields, checked once: the web form (`routes`) and the community-file
//! loader both call `ReportContent::parse`, so a seeded report obeys the same rules as one a
//! member types.

use super::queries::{Outcome, ValueStage};
use crate::cultivate::fields::Problem;

/// The longest a report's free-text field may be.
pub const MAX_FIELD_CHARS: usize = 4000;

/// A report as sent: the form's fields, or a community file's.
pub struct ReportInput<'a> {
    pub context: &'a str,
    pub tried: &'a str,
    pub outcome: &'a str,
    pub reflection: &'a str,
    /// Value stages by name (`ValueStage::as_str`), in any order.
    pub value_stages: Vec<&'a str>,
}

/// A report ready to store.
pub struct ReportContent<'a> {
    pub context: &'a str,
    pub tried: &'a str,
    pub outcome: Outcome,
    pub reflection: &'a str,
    pub value_stages: Vec<ValueStage>,
}

impl<'a> ReportContent<'a> {
    /// Every problem with the report, each with its field.
    pub fn parse(input: &ReportInput<'a>) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let required = [
            ("context", input.context, "Say where you applied it."),
            ("tried", input.tried, "Say what you tried."),
        ];
        for (field, value, problem) in required {
            if value.trim().is_empty() {
                problems.push((field, problem));
            }
        }
        for (field, value) in [
            ("context", input.context),
            ("tried", input.tried),
            ("reflection", input.reflection),
        ] {
            if value.chars().count() > MAX_FIELD_CHARS {
                problems.push((field, "Keep this to 4000 characters or fewer."));
            }
        }
        let outcome = Outcome::parse(input.outcome.trim())
            .map_err(|problem| problems.push(("outcome", problem)))
            .ok();
        let mut value_stages = Vec::new();
        for raw in &input.value_stages {
            match ValueStage::parse(raw.trim()) {
                Some(stage) if !value_stages.contains(&stage) => value_stages.push(stage),
                Some(_) => {}
                None => problems.push((
                    "value_stages",
                    "Name stages from: immediate, potential, applied, realized, reframing.",
                )),
            }
        }
        value_stages.sort_by_key(|stage| ValueStage::ALL.iter().position(|s| s == stage));
        match (outcome, problems.is_empty()) {
            (Some(outcome), true) => Ok(ReportContent {
                context: input.context.trim(),
                tried: input.tried.trim(),
                outcome,
                reflection: input.reflection.trim(),
                value_stages,
            }),
            _ => Err(problems),
        }
    }

    /// The stages as stored.
    pub(super) fn stages(&self) -> Vec<&'static str> {
        self.value_stages.iter().map(|s| s.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(outcome: &'a str, stages: Vec<&'a str>) -> ReportInput<'a> {
        ReportInput {
            context: "my plot",
            tried: "10 cm",
            outcome,
            reflection: "",
            value_stages: stages,
        }
    }

    #[test]
    fn stages_are_kept_in_the_framework_order_once_each() {
        let parsed =
            ReportContent::parse(&input("worked", vec!["realized", "applied", "realized"]));
        let stages = parsed.map(|c| c.stages()).unwrap_or_default();
        assert_eq!(stages, ["applied", "realized"]);
    }

    #[test]
    fn an_unknown_stage_and_a_missing_outcome_are_both_named() {
        let Err(problems) = ReportContent::parse(&input("", vec!["enlightened"])) else {
            panic!("accepted a report with no outcome");
        };
        let fields: Vec<_> = problems.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["outcome", "value_stages"]);
    }
}
