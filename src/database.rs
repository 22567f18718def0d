//! The connection pool, migrations, and where the database comes from.

pub mod embedded;
pub mod replica;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

pub use embedded::{Durability, EmbeddedPostgres};

/// The database the server talks to: a server named by `DATABASE_URL`, or a private cluster that
/// lives (and stops) with this process.
pub struct Database {
    pub pool: PgPool,
    /// Held so the private cluster stops when the server does.
    pub embedded: Option<EmbeddedPostgres>,
}

/// The database name inside a private cluster.
pub const EMBEDDED_DATABASE: &str = "commonplace";

impl Database {
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        match database_url {
            Some(url) => {
                let options: PgConnectOptions = url
                    .parse()
                    .context("DATABASE_URL is not a valid PostgreSQL URL")?;
                let pool = pool(options)
                    .await
                    .context("could not connect to DATABASE_URL")?;
                Ok(Database {
                    pool,
                    embedded: None,
                })
            }
            None => {
                let cluster =
                    EmbeddedPostgres::start(&data_dir.join("postgres"), Durability::Durable)
                        .await?;
                create_database_if_missing(&cluster, EMBEDDED_DATABASE).await?;
                let pool = pool(cluster.connect_options(EMBEDDED_DATABASE)).await?;
                Ok(Database {
                    pool,
                    embedded: Some(cluster),
                })
            }
        }
    }

    /// Closes the pool, then stops the private cluster if there is one.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.embedded {
            cluster.stop();
        }
    }
}

pub async fn pool(options: PgConnectOptions) -> anyhow::Result<PgPool> {
    Ok(pool_options().connect_with(options).await?)
}

/// The pages' pool, on the primary or on a replica.
///
/// PostgreSQL chooses between a custom and a generic plan itself: forcing generic plans saved
/// re-planning at 50 000 posts but was 9× slower for the repertoire list and 2× for the
/// signed-in domain page at a million (docs/performance.md, sixth session).
fn pool_options() -> PgPoolOptions {
    checked_when_idle(PgPoolOptions::new())
        .max_connections(10)
        // Admission control keeps the queue short; a wait this long means overload (503).
        .acquire_timeout(Duration::from_secs(5))
}

/// How long a connection may sit unused and still be handed out without a check.
const TRUSTED_AFTER_USE: Duration = Duration::from_secs(10);

/// sqlx checks every connection it hands out with a round trip of its own (a `Sync`), which
/// doubled the round trips of every page: each statement waited twice. A connection used in the
/// last ten seconds is trusted, as HikariCP trusts one used recently; one idle for longer (a
/// quiet night, a dropped link) is still checked, and replaced if dead, before a page gets it.
/// The cost: if PostgreSQL restarts, a connection used just before fails one request.
/// (The pool hands connections out oldest-idle first, so on a quiet site each connection waits
/// a while between uses: a window of one second had most pages pinging again.)
pub fn checked_when_idle(options: PgPoolOptions) -> PgPoolOptions {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > TRUSTED_AFTER_USE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

pub async fn create_database_if_missing(
    cluster: &EmbeddedPostgres,
    name: &str,
) -> anyhow::Result<()> {
    let mut conn = sqlx::ConnectOptions::connect(&cluster.connect_options("postgres")).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // Identifiers cannot be bound; `name` is one of our own constants.
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

/// The schema this build expects.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How many of this build's migrations the database has not applied (0 when it is ready for
/// this build, as after `migrate`).
pub async fn pending_migrations(pool: &PgPool) -> sqlx::Result<usize> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?;
    Ok(MIGRATOR
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .count())
}

/// Brings the schema up to date.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("running migrations")?;
    Ok(())
}
