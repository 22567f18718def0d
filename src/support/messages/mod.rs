//! Private conversations at `/messages`: a member writes to one or more members by username (a
//! facilitator to every member of a domain they facilitate), and the conversation goes on like
//! a thread, with replies, notifications and unread counts. Only its participants can open it
//! (anyone else gets the 404 page); a member may block another from messaging them.

pub mod queries;
pub mod routes;
pub mod views;
