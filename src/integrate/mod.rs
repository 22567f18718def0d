//! Integrate: close the loop from talk to changed practice. Members report back on what happened
//! when they applied a repertoire entry or a thread (practice reports, with outcome tallies kept
//! on the entry), commit to trying an entry by a date (with a reminder to report back when the
//! date passes), and facilitators fold what a report taught into the entry's "What we learned".

pub mod queries;
pub mod routes;
pub mod views;

pub use queries::send_due_reminders;
