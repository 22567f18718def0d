//! Integrate: close the loop from talk to changed practice. Members report back on what happened
//! when they applied a repertoire entry or a thread (practice reports, with outcome tallies kept
//! on the entry), commit to trying an entry by a date (with a reminder to report back when the
//! date passes), are asked "did it work?" some days after their question's answer is accepted
//! (`invite_to_report_back`), and facilitators fold what a report taught into the entry's
//! "What we learned".

pub mod fields;
pub mod queries;
pub mod routes;
pub mod views;

pub use queries::{invite_to_report_back, send_due_reminders};
