//! Educate: collect and share what the community knows about its practice — the shared
//! repertoire (entries of kind story, tool, case, lesson, how-to; written directly or promoted
//! from a thread or reply, with provenance both ways; tagged; edited with history; kept current
//! by stewards, `upkeep`) and full-text search over threads, replies and the repertoire.

pub mod fields;
pub mod policy;
pub mod queries;
pub mod routes;
pub mod search;
pub mod upkeep;
pub mod views;
