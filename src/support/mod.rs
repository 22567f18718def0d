//! Support: get help from the right person — questions with accepted answers, the unanswered
//! queue, the expertise directory, @mentions and notifications (to whoever watches a thread or
//! domain: `forum::watching`), bookmarks with reminders; notifications by email (`mailing`).

pub mod mailing;
pub mod messages;
pub mod notify;
pub mod policy;
pub mod queries;
pub mod reminders;
pub mod routes;
pub mod views;
