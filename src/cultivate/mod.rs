//! Cultivate: help domains start and stay alive — charters that facilitators keep current, an
//! introductions thread in every domain with a welcome for newcomers, events with RSVPs and
//! iCalendar files, mentoring that brings newcomers in (`mentoring`), and the facilitator's
//! health view computed from the domain's real activity.

pub mod charts;
pub mod fields;
pub mod ics;
pub mod mentoring;
pub mod queries;
pub mod routes;
pub mod views;
