pub mod policy;
pub mod queries;
pub mod routes;
pub mod views;
