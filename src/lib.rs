//! Commonplace: a web forum for communities of practice.
//!
//! The modules follow the product: the shared `forum` core, the five functions of a community of
//! practice (`educate`, `support`, `cultivate`, `encourage`, `integrate`), and `moderation`,
//! `admin` and `auth`. Each owns its routes, its SQL and its views; `app` assembles them into one
//! router, `web` holds what every page shares.

pub mod admin;
pub mod allocator;
pub mod app;
pub mod auth;
pub mod config;
pub mod cultivate;
pub mod database;
pub mod digest;
pub mod educate;
pub mod encourage;
pub mod error;
pub mod forum;
pub mod integrate;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod moderation;
pub mod pages;
pub mod server;
pub mod support;
pub mod uploads;
pub mod web;

use std::sync::Arc;

use sqlx::PgPool;

pub use config::Config;
pub use error::AppError;

/// What every handler can reach. Cheap to clone: pool handles and a shared config.
#[derive(Clone)]
pub struct AppState {
    /// Where this request reads and writes: the primary, or for a request that only reads,
    /// the read replica when there is one (`web::read_split`).
    pub db: PgPool,
    /// Search's own few connections, each with a statement timeout, so slow searches queue
    /// among themselves and never take the connections pages need.
    pub search_db: PgPool,
    /// For the statements of pages measured faster with one generic plan per statement
    /// (`plan_cache_mode = force_generic_plan` on these connections): PostgreSQL plans some
    /// statements again on every call because a custom plan looks cheaper, when planning costs
    /// more than the work. Not for every statement: at a million posts a generic plan made the
    /// repertoire list 5× slower (docs/performance.md).
    pub generic_db: PgPool,
    /// Always the primary, for what must be current even on a page read from a replica: the
    /// session store and who is signed in (a suspension ends a session at once), readiness,
    /// and `/metrics`.
    pub primary: PgPool,
    /// `COMMONPLACE_READ_DATABASE_URL`'s replica and how far it has caught up.
    pub replica: Option<Arc<database::replica::ReadReplica>>,
    pub config: Arc<Config>,
    /// Pages for visitors without a session; empty and bypassed unless the config enables it.
    pub pages: Arc<web::page_cache::PageCache>,
    /// Thread pages' posts, for every viewer, checked against the database on each view.
    pub posts: Arc<pages::cached_posts::CachedPosts>,
    /// The bounded queue in front of every page that needs work.
    pub admission: Arc<web::admission::Admission>,
    /// Open live streams and what they are told.
    pub live: Arc<live::Hub>,
    /// What `/metrics` reports for this server.
    pub metrics: Arc<self::metrics::Metrics>,
    /// Where uploaded files are kept (`data_dir/uploads`).
    pub uploads: Arc<uploads::Uploads>,
}

/// How long one search statement may run, and how many run at once.
pub const SEARCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
const SEARCH_CONNECTIONS: u32 = 3;
/// Eight: a profile reads six statements at once, and a second page may be reading beside it.
const GENERIC_CONNECTIONS: u32 = 8;

impl AppState {
    /// Must be called inside the Tokio runtime: the process's listener (and the replica's
    /// watcher, if the config names a replica) starts here.
    pub fn new(db: PgPool, config: Config) -> AppState {
        let search_db = search_pool((*db.connect_options()).clone());
        let generic_db = generic_pool((*db.connect_options()).clone());
        let pages = Arc::new(web::page_cache::PageCache::new());
        let live = Arc::new(live::Hub::new(config.live_streams, config.live_heartbeat));
        let cached = config.page_cache.then(|| pages.clone());
        live::listen(db.clone(), cached, live.clone());
        let replica = config.read_database_url.as_deref().and_then(|url| {
            database::replica::ReadReplica::connect(url, db.clone(), pages.clone())
                .inspect_err(|err| tracing::error!(%err, "the read replica is not used"))
                .ok()
        });
        let uploads = Arc::new(uploads::Uploads::on_disk(&config.data_dir));
        AppState {
            primary: db.clone(),
            db,
            search_db,
            generic_db,
            replica,
            config: Arc::new(config),
            pages,
            posts: Arc::new(pages::cached_posts::CachedPosts::new()),
            admission: Arc::new(web::admission::Admission::for_server()),
            live,
            metrics: self::metrics::Metrics::new(),
            uploads,
        }
    }

    /// The same server, reading from its replica: what a request that only reads is given.
    pub fn reading_from(&self, replica: &database::replica::ReadReplica) -> AppState {
        AppState {
            db: replica.db.clone(),
            search_db: replica.search_db.clone(),
            generic_db: replica.generic_db.clone(),
            ..self.clone()
        }
    }
}

/// The generic-plan pool on a server (`AppState::generic_db`): a few connections.
pub fn generic_pool(options: sqlx::postgres::PgConnectOptions) -> PgPool {
    pool_with_setting(
        options,
        GENERIC_CONNECTIONS,
        std::time::Duration::from_secs(5),
        "SET plan_cache_mode = force_generic_plan".into(),
    )
}

/// Search's pool on a server: a few connections, each with `SEARCH_TIMEOUT` as its statement
/// timeout.
pub fn search_pool(options: sqlx::postgres::PgConnectOptions) -> PgPool {
    // Custom plans: a search is planned for its very words (`educate::search::find`). As a
    // prepared statement rather than an unnamed one, it is sent in one round trip, not two.
    //
    // A text index's bitmap is costed per match of all the words together, but PostgreSQL
    // decodes every entry of each word's list to build it: for two common words (130 000
    // posts hold both, each word many more) the bitmap took 52 ms where walking the newest
    // posts until 300 matched took 3 ms, and the planner put them 5 % apart. Four times the
    // default cost of an index entry keeps a walk for common words and the index for rare
    // ones (docs/performance.md, twentieth session).
    //
    // No JIT: a search costed above `jit_above_cost` spent 35 ms compiling for 6 ms of work.
    let settings = format!(
        "SET statement_timeout = {}; SET plan_cache_mode = force_custom_plan; \
         SET cpu_index_tuple_cost = 0.02; SET jit = off",
        SEARCH_TIMEOUT.as_millis()
    );
    pool_with_setting(options, SEARCH_CONNECTIONS, SEARCH_TIMEOUT, settings)
}

/// A pool that connects when first used, each connection running `setting` once after it
/// connects (rather than as a startup option, which PgBouncer refuses).
fn pool_with_setting(
    options: sqlx::postgres::PgConnectOptions,
    connections: u32,
    wait: std::time::Duration,
    setting: String,
) -> PgPool {
    database::checked_when_idle(sqlx::postgres::PgPoolOptions::new())
        .max_connections(connections)
        .acquire_timeout(wait)
        .after_connect(move |conn, _| {
            let setting = setting.clone();
            Box::pin(async move {
                sqlx::Executor::execute(conn, setting.as_str()).await?;
                Ok(())
            })
        })
        .connect_lazy_with(options)
}
