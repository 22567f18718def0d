//! Cultivate's SQL: charters, the introductions thread, events and the health view.
//!
//! Events are entered as local times in a named time zone; PostgreSQL, which carries the IANA
//! time-zone database, turns them into instants and refuses a zone it does not know. Health
//! figures are SQL over the domain's real rows, with `now` a parameter so they can be checked
//! against a data set whose right answers are known.

use std::collections::HashMap;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// Gives a domain its pinned introductions thread unless it has one already; returns whether it
/// made one.
pub async fn ensure_introductions(
    tx: &mut Transaction<'_, Postgres>,
    domain_id: i64,
    author_id: i64,
    domain_name: &str,
) -> crate::error::Result<bool> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM threads WHERE domain_id = $1 AND kind = 'introduction')",
    )
    .bind(domain_id)
    .fetch_one(&mut **tx)
    .await?;
    if exists {
        return Ok(false);
    }
    let thread_id: i64 = sqlx::query_scalar(
        "INSERT INTO threads (domain_id, author_id, title, kind, pinned) VALUES ($1, $2, $3, 'introduction', true) RETURNING id",
    )
    .bind(domain_id)
    .bind(author_id)
    .bind(format!("Introductions: who we are in {domain_name}"))
    .fetch_one(&mut **tx)
    .await?;
    let body = "Welcome! Reply here to introduce yourself: who you are, where you practise, and what you hope to learn or share here.";
    // The welcome mentions nobody, so there is nothing to notify.
    crate::forum::queries::insert_post(tx, thread_id, author_id, body, false).await?;
    Ok(true)
}

/// The introductions thread of the domain whose id is the SQL expression `domain_id`, and
/// whether the member whose id is `user_id` has posted in it, as a JSON `[id, posted]` (or
/// null), for a page that loads it with the domain.
pub fn introductions_as_json(domain_id: &str, user_id: &str) -> String {
    format!(
        "(SELECT json_build_array(t.id, EXISTS (SELECT 1 FROM posts p
                                                 WHERE p.thread_id = t.id AND p.author_id = {user_id}))
            FROM threads t
           WHERE t.domain_id = {domain_id} AND t.kind = 'introduction' AND NOT t.hidden
           ORDER BY t.id LIMIT 1)"
    )
}

/// A domain's rhythms of upkeep.
pub async fn rhythm(db: &PgPool, domain_id: i64) -> sqlx::Result<super::fields::Rhythm> {
    let (review_months, followup_days) =
        sqlx::query_as("SELECT review_months, followup_days FROM domains WHERE id = $1")
            .bind(domain_id)
            .fetch_one(db)
            .await?;
    Ok(super::fields::Rhythm {
        review_months,
        followup_days,
    })
}

pub async fn save_rhythm(
    db: impl sqlx::PgExecutor<'_>,
    domain_id: i64,
    rhythm: super::fields::Rhythm,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE domains SET review_months = $2, followup_days = $3 WHERE id = $1")
        .bind(domain_id)
        .bind(rhythm.review_months)
        .bind(rhythm.followup_days)
        .execute(db)
        .await
        .map(|_| ())
}

/// A domain's charter as its facilitators wrote it.
pub async fn charter_md(db: &PgPool, domain_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT charter_md FROM domains WHERE id = $1")
        .bind(domain_id)
        .fetch_one(db)
        .await
}

pub async fn save_charter<'e>(
    db: impl sqlx::PgExecutor<'e>,
    domain_id: i64,
    charter: &super::fields::Charter,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE domains SET charter_md = $2, charter_html = $3, practice_focus = $4, audience = $5 WHERE id = $1")
        .bind(domain_id)
        .bind(&charter.charter_md)
        .bind(crate::markdown::render(&charter.charter_md))
        .bind(&charter.practice_focus)
        .bind(&charter.audience)
        .execute(db)
        .await
        .map(|_| ())
}

/// An event's agenda as written, for its calendar file.
pub async fn agenda_md(db: &PgPool, event_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT agenda_md FROM events WHERE id = $1")
        .bind(event_id)
        .fetch_one(db)
        .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub domain_id: i64,
    pub title: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub time_zone: String,
    pub local_start: PrimitiveDateTime,
    pub local_end: PrimitiveDateTime,
    pub place: String,
    pub link: String,
    pub agenda_html: String,
    pub created_by_name: String,
    pub going: i64,
    pub maybe: i64,
    pub not_going: i64,
}

impl Event {
    pub fn is_over(&self) -> bool {
        self.ends_at < OffsetDateTime::now_utc()
    }

    pub fn when(&self) -> String {
        let format = time::macros::format_description!(
            "[weekday repr:short] [day padding:none] [month repr:short] [year], [hour]:[minute]"
        );
        let end = time::macros::format_description!("[hour]:[minute]");
        let start = self.local_start.format(&format).unwrap_or_default();
        let finish = if self.local_start.date() == self.local_end.date() {
            self.local_end.format(&end).unwrap_or_default()
        } else {
            self.local_end.format(&format).unwrap_or_default()
        };
        format!("{start} – {finish} ({})", self.time_zone)
    }
}

const EVENT: &str = "
    SELECT e.id, e.domain_id, e.title, e.starts_at, e.ends_at, e.time_zone,
           e.starts_at AT TIME ZONE e.time_zone AS local_start,
           e.ends_at AT TIME ZONE e.time_zone AS local_end,
           e.place, e.link, e.agenda_html, u.display_name AS created_by_name,
           count(r.*) FILTER (WHERE r.status = 'going') AS going,
           count(r.*) FILTER (WHERE r.status = 'maybe') AS maybe,
           count(r.*) FILTER (WHERE r.status = 'not') AS not_going
      FROM events e
      JOIN users u ON u.id = e.created_by
      LEFT JOIN event_rsvps r ON r.event_id = e.id";

pub async fn event(db: &PgPool, id: i64) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(&format!(
        "{EVENT} WHERE e.id = $1 GROUP BY e.id, u.display_name"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Upcoming events (not yet ended) soonest first, then the 20 most recent past ones.
pub async fn domain_events(db: &PgPool, domain_id: i64) -> sqlx::Result<(Vec<Event>, Vec<Event>)> {
    let upcoming = sqlx::query_as(&format!(
        "{EVENT} WHERE e.domain_id = $1 AND e.ends_at >= now() GROUP BY e.id, u.display_name ORDER BY e.starts_at, e.id LIMIT 100"
    ))
    .bind(domain_id)
    .fetch_all(db)
    .await?;
    let past = sqlx::query_as(&format!(
        "{EVENT} WHERE e.domain_id = $1 AND e.ends_at < now() GROUP BY e.id, u.display_name ORDER BY e.starts_at DESC, e.id DESC LIMIT 20"
    ))
    .bind(domain_id)
    .fetch_all(db)
    .await?;
    Ok((upcoming, past))
}

pub enum Scheduled {
    Created(i64),
    UnknownTimeZone,
    EndsBeforeStart,
}

/// Whether `name` is a time zone in PostgreSQL's IANA list. `AT TIME ZONE` alone would also take
/// POSIX strings such as `UTC+3`, whose sign is the inverse of what people mean, and junk.
pub async fn is_known_time_zone<'e>(
    db: impl sqlx::PgExecutor<'e>,
    name: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)")
        .bind(name)
        .fetch_one(db)
        .await
}

/// Writes an event in the caller's transaction; PostgreSQL converts its local times in its time
/// zone, which must be an IANA name.
pub async fn create_event(
    tx: &mut PgConnection,
    domain_id: i64,
    created_by: i64,
    event: &super::fields::EventDetails,
) -> crate::error::Result<Scheduled> {
    if !is_known_time_zone(&mut *tx, &event.time_zone).await? {
        return Ok(Scheduled::UnknownTimeZone);
    }
    let agenda_html =
        crate::markdown::render_off_runtime(event.agenda_md.clone(), HashMap::new()).await?;
    let inserted = sqlx::query_scalar(
        "INSERT INTO events (domain_id, created_by, title, starts_at, ends_at, time_zone, place, link, agenda_md, agenda_html)
         VALUES ($1, $2, $3, $4 AT TIME ZONE $6, $5 AT TIME ZONE $6, $6, $7, $8, $9, $10)
         RETURNING id",
    )
    .bind(domain_id)
    .bind(created_by)
    .bind(event.title.as_str())
    .bind(event.local_start)
    .bind(event.local_end)
    .bind(&event.time_zone)
    .bind(&event.place)
    .bind(&event.link)
    .bind(&event.agenda_md)
    .bind(agenda_html)
    .fetch_one(&mut *tx)
    .await;
    match inserted {
        Ok(id) => Ok(Scheduled::Created(id)),
        // check_violation on ends_at > starts_at (also after a daylight-saving jump)
        Err(sqlx::Error::Database(err)) if err.code().as_deref() == Some("23514") => {
            Ok(Scheduled::EndsBeforeStart)
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn rsvp_of(db: &PgPool, event_id: i64, user_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT status FROM event_rsvps WHERE event_id = $1 AND user_id = $2")
        .bind(event_id)
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// Records an RSVP unless the event has ended (checked in the statement). Returns whether it
/// was recorded.
pub async fn rsvp(db: &PgPool, event_id: i64, user_id: i64, status: &str) -> sqlx::Result<bool> {
    let recorded = sqlx::query(
        "INSERT INTO event_rsvps (event_id, user_id, status)
         SELECT id, $2, $3 FROM events WHERE id = $1 AND ends_at >= now()
         ON CONFLICT (event_id, user_id) DO UPDATE SET status = excluded.status, updated_at = now()",
    )
    .bind(event_id)
    .bind(user_id)
    .bind(status)
    .execute(db)
    .await?;
    Ok(recorded.rows_affected() == 1)
}

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

/// One month of the domain's value profile: its practice reports, and how many of them said
/// the value went as far as each stage (`integrate::queries::ValueStage`).
#[derive(sqlx::FromRow, Clone, Debug, PartialEq, Eq)]
pub struct ValueMonth {
    pub month: Date,
    pub reports: i64,
    pub immediate: i64,
    pub potential: i64,
    pub applied: i64,
    pub realized: i64,
    pub reframing: i64,
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
    /// The last `VALUE_MONTHS` calendar months, oldest first.
    pub value: Vec<ValueMonth>,
    pub unanswered: Vec<Waiting>,
    pub median_first_reply_hours: Option<f64>,
    pub silent: Vec<(String, String)>,
    pub not_introduced: Vec<(String, String)>,
    /// Newcomers whose first post waits more than 48 hours for anyone to answer it.
    pub unanswered_newcomers: Vec<UnansweredNewcomer>,
    /// Mentoring requests and pairs, waiting requests first.
    pub mentoring: Vec<super::mentoring::queries::Mentorship>,
}

/// A newcomer (joined in the last `NEWCOMER_DAYS`) and their first post in the domain, which
/// nobody else has followed in its thread for 48 hours.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct UnansweredNewcomer {
    pub username: String,
    pub display_name: String,
    pub post_id: i64,
    pub thread_title: String,
    pub posted_at: OffsetDateTime,
}

/// How long a member counts as a newcomer after joining a domain.
pub const NEWCOMER_DAYS: i32 = 30;

pub const WEEKS: i32 = 12;
pub const VALUE_MONTHS: i32 = 12;

pub async fn health(db: &PgPool, domain_id: i64, now: OffsetDateTime) -> sqlx::Result<Health> {
    Ok(Health {
        weeks: weekly(db, domain_id, now).await?,
        value: value_profile(db, domain_id, now).await?,
        unanswered: unanswered_for_48_hours(db, domain_id, now).await?,
        median_first_reply_hours: median_first_reply_hours(db, domain_id, now).await?,
        silent: silent_for_60_days(db, domain_id, now).await?,
        not_introduced: not_introduced(db, domain_id).await?,
        unanswered_newcomers: unanswered_newcomers(db, domain_id, now).await?,
        mentoring: super::mentoring::queries::of_domain(db, domain_id).await?,
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
                    p.number > 1 AS is_reply
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

/// The domain's value profile: per calendar month (UTC), from `VALUE_MONTHS - 1` months before
/// `now`'s to `now`'s, its practice reports (on its entries and threads) and how many reached
/// each value stage.
async fn value_profile(
    db: &PgPool,
    domain_id: i64,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<ValueMonth>> {
    sqlx::query_as(
        "WITH months AS (
             SELECT m AS starts, m + interval '1 month' AS ends
               FROM generate_series(date_trunc('month', $2::timestamptz, 'UTC') - ($3 - 1) * interval '1 month',
                                    date_trunc('month', $2::timestamptz, 'UTC'), interval '1 month') AS m
         ),
         domain_reports AS (
             SELECT r.created_at, r.value_stages
               FROM practice_reports r
               LEFT JOIN repertoire_entries e ON e.id = r.entry_id
               LEFT JOIN threads t ON t.id = r.thread_id
              WHERE coalesce(e.domain_id, t.domain_id) = $1
                AND r.created_at >= (SELECT min(starts) FROM months)
         )
         SELECT (m.starts AT TIME ZONE 'UTC')::date AS month,
                count(r.created_at) AS reports,
                count(*) FILTER (WHERE 'immediate' = ANY (r.value_stages)) AS immediate,
                count(*) FILTER (WHERE 'potential' = ANY (r.value_stages)) AS potential,
                count(*) FILTER (WHERE 'applied' = ANY (r.value_stages)) AS applied,
                count(*) FILTER (WHERE 'realized' = ANY (r.value_stages)) AS realized,
                count(*) FILTER (WHERE 'reframing' = ANY (r.value_stages)) AS reframing
           FROM months m
           LEFT JOIN domain_reports r ON r.created_at >= m.starts AND r.created_at < m.ends
          GROUP BY m.starts
          ORDER BY m.starts",
    )
    .bind(domain_id)
    .bind(now)
    .bind(VALUE_MONTHS)
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

/// Newcomers whose first post in the domain nobody else has followed, in its thread, for more
/// than 48 hours before `now`: the people a community most risks losing.
async fn unanswered_newcomers(
    db: &PgPool,
    domain_id: i64,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<UnansweredNewcomer>> {
    sqlx::query_as(
        "SELECT u.username, u.display_name, first.id AS post_id, t.title AS thread_title,
                first.created_at AS posted_at
           FROM memberships m
           JOIN users u ON u.id = m.user_id
           CROSS JOIN LATERAL (
               SELECT p.id, p.thread_id, p.created_at FROM posts p JOIN threads ft ON ft.id = p.thread_id
                WHERE p.author_id = m.user_id AND ft.domain_id = $1 AND p.deleted_at IS NULL
                ORDER BY p.created_at, p.id LIMIT 1
           ) first
           JOIN threads t ON t.id = first.thread_id
          WHERE m.domain_id = $1 AND m.joined_at > $2 - make_interval(days => $3)
            AND first.created_at < $2 - interval '48 hours' AND NOT t.hidden
            AND NOT EXISTS (SELECT 1 FROM posts r
                             WHERE r.thread_id = first.thread_id AND r.id > first.id
                               AND r.author_id <> m.user_id AND r.deleted_at IS NULL)
          ORDER BY first.created_at LIMIT 100",
    )
    .bind(domain_id)
    .bind(now)
    .bind(NEWCOMER_DAYS)
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
