//! Support: get help from the right person — questions with accepted answers, the unanswered
//! queue, the expertise directory, @mentions and notifications, following threads and
//! bookmarking posts; notifications by email (`mailing`).

pub mod mailing;
pub mod notify;
pub mod policy;
pub mod queries;
pub mod reminders;
pub mod routes;
pub mod views;
