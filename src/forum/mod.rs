//! The shared core every function builds on: domains, memberships, threads and posts, and the
//! permission model (`access`) that every module uses for domain content.

pub mod access;
pub mod drafts;
pub mod feed;
pub mod fields;
pub mod history;
pub mod lookup;
pub mod polls;
pub mod queries;
pub mod reading;
pub mod routes;
pub mod tags;
pub mod views;
pub mod watching;
