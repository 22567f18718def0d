//! Accounts: registration, logging in and out, server-side sessions, CSRF protection, and
//! rate limits on password guessing. The extractors here (`Visitor`, `Member`, `Admin`) let a
//! handler's signature state who may call it.

pub mod appearance;
pub mod confirm;
pub mod csrf;
pub mod fields;
pub mod forgot;
pub mod invitation;
pub mod password;
pub mod queries;
pub mod rate_limit;
pub mod reset;
pub mod routes;
pub mod session;
pub mod store;
pub mod views;

pub use session::{Admin, Arrival, Member, Visitor};
