//! Encourage: make members' contributions visible. Profiles (`/u/{username}`) live here, with
//! editing one's own bio and expertise; reactions and the spotlight arrive with the Cultivate,
//! Encourage and Integrate issue.

pub mod routes;
