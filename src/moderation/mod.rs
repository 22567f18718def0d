//! Moderation: what facilitators do inside their own domain, one folder per tool — `threads`
//! (pin, lock, hide, move, retitle), `posts` (hide, restore), `flags` (members' flags and the
//! queue), `members` (remove, ban, unban) and `log` (the audit log every act, moderation's and
//! admins', is written to); and `message_flags`, members' flags on private messages, which the
//! site's admins review.
//!
//! Every handler finds the domain from the object it acts on (the thread, the post, the
//! membership), never from anything the request names, and checks the member facilitates that
//! domain (`lookup`). Every act is written to the audit log in the same transaction as the act.

pub mod fields;
pub mod flags;
pub mod log;
pub mod lookup;
pub mod members;
pub mod message_flags;
pub mod posts;
pub mod threads;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(threads::routes::router())
        .merge(posts::routes::router())
        .merge(flags::routes::router())
        .merge(members::routes::router())
        .merge(message_flags::routes::router())
        .merge(log::routes::router())
}
