//! Mentoring, to bring newcomers from the edge to the centre: at `/d/{slug}/mentors` members
//! offer to mentor on some topics; a member asks for a mentor there, choosing one who offered
//! (the pairing is made at once) or leaving it to the domain's facilitators, who pair waiting
//! requests on the same page. Pairings show on both members' profiles and in the health view.
//! `starter` chooses first contributions for a member at `/d/{slug}/start`.

pub mod fields;
pub mod queries;
pub mod routes;
pub mod starter;
pub mod views;
