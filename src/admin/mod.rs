//! Site administration: `/admin` (creating domains, appointing facilitators), seeding
//! communities, and creating accounts from the command line.

pub mod accounts;
pub mod routes;
pub mod seed;
