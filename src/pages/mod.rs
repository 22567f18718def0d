//! The pages and forms that combine the forum core with the five functions: the domain page
//! (threads, with the repertoire, practice reports, spotlight and welcome beside them), the
//! thread page (posts, with answers, reactions, flags, promotion and reports), and writing a
//! thread or a reply (the core writes the post; Support is told in the same transaction).
//!
//! This layer only assembles: every rule it shows is decided by the module that owns it, so the
//! page offers a control exactly when that module's handler accepts the request.

pub mod cached_posts;
pub mod queries;
pub mod routes;
pub mod views;
