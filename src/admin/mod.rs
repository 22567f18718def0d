//! Site administration: seeding communities and creating accounts from the command line. (The
//! `/admin` pages arrive with the facilitators-and-admins issue.)

pub mod accounts;
pub mod routes;
pub mod seed;
