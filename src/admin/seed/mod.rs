//! Community files: the loader (shared by `commonplace seed` and `/admin/seed`) and the upload page.

pub mod loader;
mod practice;
pub mod routes;
pub mod views;

pub use loader::{load, Loading, SeedError, SeedFailure, SeedReport, DEMO, DEMO_NAME};
