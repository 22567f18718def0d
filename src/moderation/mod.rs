//! Moderation: what facilitators do inside their own domain, and the audit log every such act
//! (and every admin act) is written to.

pub mod audit;
pub mod policy;
pub mod routes;
