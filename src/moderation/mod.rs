//! Moderation: what facilitators do inside their own domain — pin, lock, hide, flags, bans.

pub mod routes;
