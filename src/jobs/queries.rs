//! SQL for scheduled jobs.

use std::time::Duration;

use sqlx::PgPool;
use time::OffsetDateTime;

/// Adds a job (due at once) or updates how often it runs.
pub async fn register(db: &PgPool, name: &str, every: Duration) -> sqlx::Result<()> {
    let seconds = i32::try_from(every.as_secs().max(1)).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO jobs (name, every_seconds) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET every_seconds = EXCLUDED.every_seconds",
    )
    .bind(name)
    .bind(seconds)
    .execute(db)
    .await
    .map(|_| ())
}

/// Claims the job's current due time for this process: `true` if it was due and no other
/// process took it first. The row lock makes a second claimer wait, then find the next run
/// already moved on.
pub async fn claim(db: &PgPool, name: &str) -> sqlx::Result<bool> {
    let claimed = sqlx::query(
        "UPDATE jobs SET next_run_at = now() + every_seconds * interval '1 second',
                         last_started_at = now(), runs = runs + 1
          WHERE name = $1 AND next_run_at <= now()",
    )
    .bind(name)
    .execute(db)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

pub async fn finish(db: &PgPool, name: &str, took: Duration, outcome: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET last_finished_at = now(), last_duration_ms = $2, last_outcome = $3
          WHERE name = $1",
    )
    .bind(name)
    .bind(i64::try_from(took.as_millis()).unwrap_or(i64::MAX))
    .bind(outcome)
    .execute(db)
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct JobState {
    pub name: String,
    pub every_seconds: i32,
    pub next_run_at: OffsetDateTime,
    pub last_started_at: Option<OffsetDateTime>,
    pub last_duration_ms: Option<i64>,
    pub last_outcome: Option<String>,
    pub runs: i64,
}

pub async fn all(db: &PgPool) -> sqlx::Result<Vec<JobState>> {
    sqlx::query_as(
        "SELECT name, every_seconds, next_run_at, last_started_at, last_duration_ms,
                last_outcome, runs
           FROM jobs ORDER BY name",
    )
    .fetch_all(db)
    .await
}
