//! The shared core every function builds on: domains, memberships, threads and posts.

pub mod queries;
pub mod routes;
pub mod views;
