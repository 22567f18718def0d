//! `/d/{slug}/health`: how a domain is doing, for its facilitators and admins. Every figure is
//! SQL over the domain's real rows; `now` is a parameter so the figures can be checked against
//! a data set whose right answers are known.

use sqlx::PgPool;
use time::{Date, OffsetDateTime};

#[derive(sqlx::FromRow, Clone, Debug, PartialEq, Eq)]
pub struct Week {
    pub week: Date,
    pub joined: i64,
    pub active: i64,
    pub threads: i64,
    pub replies: i64,
    pub entries_added: i64,
    pub entries_applied: i64,
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Waiting {
    pub id: i64,
    pub title: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug)]
pub struct Health {
    pub weeks: Vec<Week>,
    pub unanswered: Vec<Waiting>,
    pub median_first_reply_hours: Option<f64>,
    pub silent: Vec<(String, String)>,
    pub not_introduced: Vec<(String, String)>,
}

pub const WEEKS: i32 = 12;

pub async fn health(db: &PgPool, domain_id: i64, now: OffsetDateTime) -> sqlx::Result<Health> {
    Ok(Health {
        weeks: weekly(db, domain_id, now).await?,
        unanswered: unanswered_for_48_hours(db, domain_id, now).await?,
        median_first_reply_hours: median_first_reply_hours(db, domain_id, now).await?,
        silent: silent_for_60_days(db, domain_id, now).await?,
        not_introduced: not_introduced(db, domain_id).await?,
    })
}

/// Weeks (Monday to Sunday, UTC) from 11 weeks before `now`'s week to `now`'s week.
async fn weekly(db: &PgPool, domain_id: i64, now: OffsetDateTime) -> sqlx::Result<Vec<Week>> {
    sqlx::query_as(
        "WITH weeks AS (
             SELECT w AS starts, w + interval '1 week' AS ends
               FROM generate_series(date_trunc('week', $2::timestamptz, 'UTC') - ($3 - 1) * interval '1 week',
                                    date_trunc('week', $2::timestamptz, 'UTC'), interval '1 week') AS w
         ),
         domain_posts AS (
             SELECT p.author_id, p.created_at,
                    EXISTS (SELECT 1 FROM posts f WHERE f.thread_id = p.thread_id AND f.id < p.id) AS is_reply
               FROM posts p JOIN threads t ON t.id = p.thread_id
              WHERE t.domain_id = $1 AND p.created_at >= (SELECT min(starts) FROM weeks)
         )
         SELECT (w.starts AT TIME ZONE 'UTC')::date AS week,
                (SELECT count(*) FROM memberships m
                  WHERE m.domain_id = $1 AND m.joined_at >= w.starts AND m.joined_at < w.ends) AS joined,
                (SELECT count(DISTINCT author_id) FROM domain_posts p
                  WHERE p.created_at >= w.starts AND p.created_at < w.ends) AS active,
                (SELECT count(*) FROM threads t
                  WHERE t.domain_id = $1 AND t.created_at >= w.starts AND t.created_at < w.ends) AS threads,
                (SELECT count(*) FROM domain_posts p
                  WHERE p.is_reply AND p.created_at >= w.starts AND p.created_at < w.ends) AS replies,
                (SELECT count(*) FROM repertoire_entries e
                  WHERE e.domain_id = $1 AND e.created_at >= w.starts AND e.created_at < w.ends) AS entries_added,
                (SELECT count(*) FROM practice_reports r JOIN repertoire_entries e ON e.id = r.entry_id
                  WHERE e.domain_id = $1 AND r.created_at >= w.starts AND r.created_at < w.ends) AS entries_applied
           FROM weeks w ORDER BY w.starts",
    )
    .bind(domain_id)
    .bind(now)
    .bind(WEEKS)
    .fetch_all(db)
    .await
}

/// Questions nobody has replied to in more than 48 hours, oldest first.
async fn unanswered_for_48_hours(
    db: &PgPool,
    domain_id: i64,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<Waiting>> {
    sqlx::query_as(
        "SELECT id, title, created_at FROM threads
          WHERE domain_id = $1 AND kind = 'question' AND reply_count = 0 AND NOT hidden
            AND created_at < $2 - interval '48 hours'
          ORDER BY created_at, id LIMIT 50",
    )
    .bind(domain_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// The median time from a thread's start to its first reply, over threads started in the 90
/// days before `now` that have a reply.
async fn median_first_reply_hours(
    db: &PgPool,
    domain_id: i64,
    now: OffsetDateTime,
) -> sqlx::Result<Option<f64>> {
    sqlx::query_scalar(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_reply.at - t.created_at)) / 3600
           FROM threads t
           JOIN LATERAL (SELECT created_at AS at FROM posts WHERE thread_id = t.id ORDER BY id OFFSET 1 LIMIT 1) first_reply ON true
          WHERE t.domain_id = $1 AND t.created_at >= $2 - interval '90 days' AND t.created_at <= $2",
    )
    .bind(domain_id)
    .bind(now)
    .fetch_one(db)
    .await
}

/// Members of more than 60 days who have not posted in the domain in the last 60 days.
async fn silent_for_60_days(
    db: &PgPool,
    domain_id: i64,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT u.username, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.domain_id = $1 AND m.joined_at < $2 - interval '60 days'
            AND NOT EXISTS (SELECT 1 FROM posts p JOIN threads t ON t.id = p.thread_id
                             WHERE t.domain_id = $1 AND p.author_id = m.user_id
                               AND p.created_at >= $2 - interval '60 days')
          ORDER BY u.display_name LIMIT 200",
    )
    .bind(domain_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Members who have not posted in the domain's introductions thread.
async fn not_introduced(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT u.username, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.domain_id = $1
            AND NOT EXISTS (SELECT 1 FROM posts p JOIN threads t ON t.id = p.thread_id
                             WHERE t.domain_id = $1 AND t.kind = 'introduction' AND p.author_id = m.user_id)
          ORDER BY m.joined_at DESC LIMIT 200",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
}

/// "5 hours", "1.5 days".
pub fn human_hours(hours: f64) -> String {
    if hours < 1.0 {
        format!("{} minutes", (hours * 60.0).round())
    } else if hours < 48.0 {
        format!("{:.1} hours", hours)
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hours_read_naturally() {
        assert_eq!(super::human_hours(0.5), "30 minutes");
        assert_eq!(super::human_hours(5.0), "5.0 hours");
        assert_eq!(super::human_hours(72.0), "3.0 days");
    }
}
