//! Support: get help from the right person — questions with accepted answers, the unanswered
//! queue, the expertise directory, mentions and notifications.

pub mod routes;
