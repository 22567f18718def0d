//! Commonplace: a web forum for communities of practice.
//!
//! The modules follow the product: the shared `forum` core, the five functions of a community of
//! practice (`educate`, `support`, `cultivate`, `encourage`, `integrate`), and `moderation`,
//! `admin` and `auth`. Each owns its routes, its SQL and its views; `app` assembles them into one
//! router, `web` holds what every page shares.

pub mod admin;
pub mod app;
pub mod auth;
pub mod config;
pub mod cultivate;
pub mod database;
pub mod educate;
pub mod encourage;
pub mod error;
pub mod forum;
pub mod integrate;
pub mod markdown;
pub mod moderation;
pub mod pages;
pub mod server;
pub mod support;
pub mod web;

use std::sync::Arc;

use sqlx::PgPool;

pub use config::Config;
pub use error::AppError;

/// What every handler can reach. Cheap to clone: a pool handle and a shared config.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
}
