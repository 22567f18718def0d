//! Scheduled work that runs inside the server: each process looks every few seconds for due
//! jobs and claims each with one conditional `UPDATE` that moves its next run on (`queries`), so
//! with several processes on one database a job runs once per due time. A process that dies
//! mid-run does not run it again: the job comes back at its next time. The jobs themselves are
//! listed where the server is assembled (`server::JOBS`).

pub mod queries;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::metrics::Metrics;
use crate::Config;

/// What a job reports: how much it did, in its own words ("12 sessions").
pub type Outcome = Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send>>;

/// A job: a name admins see, how often it runs, and what it does.
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    pub run: fn(PgPool, Arc<Config>) -> Outcome,
}

/// Registers `jobs` (new ones are due at once) and runs them as they fall due, until the task is
/// aborted.
pub fn spawn(
    db: PgPool,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
    jobs: &'static [Job],
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for job in jobs {
            if let Err(err) = queries::register(&db, job.name, job.every).await {
                tracing::warn!(%err, job = job.name, "could not register a job");
            }
        }
        let mut tick = tokio::time::interval(LOOK_EVERY);
        loop {
            tick.tick().await;
            for job in jobs {
                run_if_due(&db, &config, &metrics, job).await;
            }
        }
    })
}

/// How often each process looks for due jobs.
const LOOK_EVERY: Duration = Duration::from_secs(5);

async fn run_if_due(db: &PgPool, config: &Arc<Config>, metrics: &Metrics, job: &Job) {
    match queries::claim(db, job.name).await {
        Ok(false) => {}
        Ok(true) => {
            let started = Instant::now();
            let result = (job.run)(db.clone(), config.clone()).await;
            let took = started.elapsed();
            metrics.job(job.name, result.is_ok(), took);
            let outcome = match result {
                Ok(done) => format!("ok: {done}"),
                Err(err) => {
                    tracing::warn!(%err, job = job.name, "a scheduled job failed");
                    format!("failed: {err}")
                }
            };
            if let Err(err) = queries::finish(db, job.name, took, &outcome).await {
                tracing::warn!(%err, job = job.name, "could not record a job's run");
            }
        }
        Err(err) => tracing::warn!(%err, job = job.name, "could not look at a job"),
    }
}
