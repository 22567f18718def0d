//! Site administration, one folder per area: `domains` (creating, editing and archiving them,
//! appointing facilitators), `users` (finding and suspending accounts, reset links), `log` (the
//! site-wide audit log), `outbox` (the mail the site sent or would send), `jobs` (scheduled
//! work: last and next runs) and `seed` (loading a community file, from the browser or the
//! command line); `accounts` creates accounts from the command line.

pub mod accounts;
pub mod domains;
pub mod jobs;
pub mod log;
pub mod outbox;
pub mod seed;
pub mod users;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(domains::routes::router())
        .merge(users::routes::router())
        .merge(log::routes::router())
        .merge(seed::routes::router())
        .merge(outbox::routes::router())
        .merge(jobs::routes::router())
}
