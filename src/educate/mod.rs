//! Educate: collect and share what the community knows about its practice. Full-text search
//! over threads, replies and the repertoire lives here; the repertoire's own pages arrive with
//! the Educate and Support issue.

pub mod routes;
pub mod search;
