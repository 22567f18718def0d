pub mod routes;
pub mod views;
