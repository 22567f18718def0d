//! Encourage: make members' contributions visible — reactions on posts (helpful, thanks,
//! insightful), the domain spotlight where facilitators feature a post or entry and say why,
//! and profiles that show a member's contribution at a glance.

pub mod policy;
pub mod reactions;
pub mod routes;
pub mod spotlight;
