pub mod queries;
pub mod routes;
