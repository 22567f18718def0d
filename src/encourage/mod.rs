//! Encourage: make members' contributions visible — reactions, the domain spotlight, profiles.

pub mod routes;
