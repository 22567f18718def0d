//! Site administration: `/admin` (creating domains, appointing facilitators), seeding
//! communities, and creating accounts from the command line.

pub mod accounts;
pub mod log;
pub mod routes;
pub mod seed;
pub mod upload;
pub mod users;
