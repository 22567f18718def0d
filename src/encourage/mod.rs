//! Encourage: contributions that are seen — reactions on posts, a domain spotlight chosen by
//! facilitators, and profiles that show what a member has given.

pub mod fields;
pub mod policy;
pub mod queries;
pub mod routes;
pub mod views;
