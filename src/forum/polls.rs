//! Polls in a thread's opening post, as Discourse's poll has them and without JavaScript:
//! single or multiple choice, an optional closing time, one vote per member (the
//! `poll_voters` row is the guard, so two votes sent at once count once), and results shown
//! after voting or after the poll closes.

use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::error::{AppError, Result};
use crate::web::FieldErrors;

/// Up to this many options, each a line of the form.
const MOST_OPTIONS: usize = 20;
const MOST_LABEL: usize = 200;

/// A poll as the composer's fields describe it, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct NewPoll {
    pub options: Vec<String>,
    pub multiple: bool,
    pub closes_at: Option<OffsetDateTime>,
}

/// The composer's poll fields: none when `options` is blank (no poll). Problems are added to
/// `errors` next to their fields (`poll_options`, `poll_closes`).
pub fn parse(
    options: &str,
    multiple: bool,
    closes: &str,
    now: OffsetDateTime,
    errors: &mut FieldErrors,
) -> Option<NewPoll> {
    let lines: Vec<String> = options
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        if !closes.trim().is_empty() {
            errors.add(
                "poll_options",
                "Give the poll's options, one a line, or leave the closing time empty.",
            );
        }
        return None;
    }
    let mut ok = true;
    if lines.len() < 2 || lines.len() > MOST_OPTIONS {
        errors.add(
            "poll_options",
            "A poll has from 2 to 20 options, one a line.",
        );
        ok = false;
    } else if lines.iter().any(|line| line.chars().count() > MOST_LABEL) {
        errors.add("poll_options", "Each option is at most 200 characters.");
        ok = false;
    } else if (1..lines.len()).any(|i| lines[..i].contains(&lines[i])) {
        errors.add("poll_options", "Each option appears once.");
        ok = false;
    }
    let closes_at = match closes.trim() {
        "" => None,
        raw => match crate::web::parse_datetime_local(raw) {
            Some(at) if at > now => Some(at),
            Some(_) => {
                errors.add(
                    "poll_closes",
                    "That time has passed; choose one to come, or none.",
                );
                ok = false;
                None
            }
            None => {
                errors.add("poll_closes", "Give a date and time like 2026-12-01T08:00.");
                ok = false;
                None
            }
        },
    };
    ok.then_some(NewPoll {
        options: lines,
        multiple,
        closes_at,
    })
}

/// Adds the poll to a post being written, in its transaction.
pub async fn create(db: &mut PgConnection, post_id: i64, poll: &NewPoll) -> sqlx::Result<()> {
    let poll_id: i64 = sqlx::query_scalar(
        "INSERT INTO polls (post_id, multiple, closes_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(post_id)
    .bind(poll.multiple)
    .bind(poll.closes_at)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query(
        "INSERT INTO poll_options (poll_id, position, label)
         SELECT $1, position, label FROM unnest($2::text[]) WITH ORDINALITY AS o (label, position)",
    )
    .bind(poll_id)
    .bind(&poll.options)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A poll as a page shows it to one viewer.
#[derive(Clone, Debug, Deserialize)]
pub struct Poll {
    pub id: i64,
    pub multiple: bool,
    /// Seconds since 1970, UTC.
    pub closes_at: Option<i64>,
    pub closed: bool,
    pub voters: i64,
    pub voted: bool,
    pub options: Vec<PollOption>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PollOption {
    pub id: i64,
    pub label: String,
    pub votes: i64,
    /// The viewer's own choice.
    pub chosen: bool,
}

impl Poll {
    /// Results are shown to those who voted, and to everyone once the poll is closed.
    pub fn shows_results(&self) -> bool {
        self.voted || self.closed
    }

    pub fn closes(&self) -> Option<OffsetDateTime> {
        self.closes_at
            .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok())
    }

    /// An option's share of the voters, in whole percent.
    pub fn percent(&self, option: &PollOption) -> i64 {
        match self.voters {
            0 => 0,
            voters => (option.votes * 100 + voters / 2) / voters,
        }
    }
}

/// The poll of the post `post` (SQL) as JSON for the viewer `viewer` (SQL), for the statement
/// that reads a page of posts: one row per poll, its counts read by index.
pub fn poll_as_json(post: &str, viewer: &str) -> String {
    format!(
        "(SELECT json_build_object(
                 'id', pl.id, 'multiple', pl.multiple,
                 'closes_at', extract(epoch FROM pl.closes_at)::bigint,
                 'closed', coalesce(pl.closes_at <= now(), false),
                 'voters', (SELECT count(*) FROM poll_voters v WHERE v.poll_id = pl.id),
                 'voted', EXISTS (SELECT 1 FROM poll_voters v
                                   WHERE v.poll_id = pl.id AND v.user_id = {viewer}::bigint),
                 'options', (SELECT json_agg(json_build_object(
                                 'id', o.id, 'label', o.label,
                                 'votes', (SELECT count(*) FROM poll_votes pv WHERE pv.option_id = o.id),
                                 'chosen', EXISTS (SELECT 1 FROM poll_votes pv
                                                    WHERE pv.option_id = o.id
                                                      AND pv.user_id = {viewer}::bigint))
                                 ORDER BY o.position)
                               FROM poll_options o WHERE o.poll_id = pl.id))
            FROM polls pl WHERE pl.post_id = {post})"
    )
}

/// Where a poll is: its post and thread, and its rules.
#[derive(sqlx::FromRow)]
pub struct Ballot {
    pub post_id: i64,
    pub thread_id: i64,
    pub multiple: bool,
    pub closes_at: Option<OffsetDateTime>,
    pub option_ids: Vec<i64>,
}

pub async fn ballot(db: &PgPool, poll_id: i64) -> sqlx::Result<Option<Ballot>> {
    sqlx::query_as(
        "SELECT pl.post_id, p.thread_id, pl.multiple, pl.closes_at,
                array(SELECT o.id FROM poll_options o WHERE o.poll_id = pl.id ORDER BY o.position)
                    AS option_ids
           FROM polls pl JOIN posts p ON p.id = pl.post_id
          WHERE pl.id = $1",
    )
    .bind(poll_id)
    .fetch_optional(db)
    .await
}

/// What became of a vote.
#[derive(Debug, PartialEq, Eq)]
pub enum Voted {
    Counted,
    /// This member had voted already; nothing changed.
    AlreadyVoted,
    /// The poll closed before the vote arrived; nothing changed.
    Closed,
}

/// Counts a member's vote, once: of two votes sent at once, the second waits on the first's
/// `poll_voters` row and then finds it.
pub async fn vote(db: &PgPool, poll_id: i64, user_id: i64, option_ids: &[i64]) -> Result<Voted> {
    let mut tx = db.begin().await?;
    let open: bool = sqlx::query_scalar(
        "SELECT closes_at IS NULL OR closes_at > now() FROM polls WHERE id = $1",
    )
    .bind(poll_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if !open {
        return Ok(Voted::Closed);
    }
    let first = sqlx::query(
        "INSERT INTO poll_voters (poll_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(poll_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        return Ok(Voted::AlreadyVoted);
    }
    sqlx::query(
        "INSERT INTO poll_votes (poll_id, option_id, user_id)
         SELECT $1, o, $2 FROM unnest($3::bigint[]) AS o",
    )
    .bind(poll_id)
    .bind(user_id)
    .bind(option_ids)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Voted::Counted)
}

/// The options a vote chose, from its form: `option` (a radio button's id) and `option-{id}`
/// (each ticked box). Each must be one of the poll's; a single-choice poll takes exactly one.
pub fn chosen(
    fields: &std::collections::HashMap<String, String>,
    ballot: &Ballot,
) -> std::result::Result<Vec<i64>, &'static str> {
    let mut ids: Vec<i64> = Vec::new();
    for (name, value) in fields {
        let raw = match name.as_str() {
            "option" => value.as_str(),
            other => match other.strip_prefix("option-") {
                Some(id) => id,
                None => continue,
            },
        };
        let id: i64 = raw
            .parse()
            .map_err(|_| "That is not one of this poll's options.")?;
        if !ballot.option_ids.contains(&id) {
            return Err("That is not one of this poll's options.");
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    match (ids.len(), ballot.multiple) {
        (0, _) => Err("Choose an option to vote."),
        (1, false) | (_, true) => Ok(ids),
        _ => Err("This poll takes one choice."),
    }
}
