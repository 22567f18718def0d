pub mod queries;
pub mod routes;
pub mod views;
