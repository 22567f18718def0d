//! The SQL of knowledge upkeep: entries coming due, reports going against an entry, the review
//! queue, the acts of stewards and facilitators, and the history they leave.

use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};

use super::RECENT_REPORTS;

/// What a steward or a facilitator does to an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Checked and still right: current again, due for review again on the date.
    Verify {
        review_by: Date,
    },
    NeedsReview,
    Outdated,
    /// Retired for another entry of the same domain.
    Obsolete {
        replacement: i64,
        title: String,
    },
    /// Due for review on another date, the state unchanged.
    ReviewBy(Date),
}

impl Change {
    /// The history's `act`.
    fn act(&self) -> &'static str {
        match self {
            Change::Verify { .. } => "verified",
            Change::NeedsReview => "needs_review",
            Change::Outdated => "outdated",
            Change::Obsolete { .. } => "obsolete",
            Change::ReviewBy(_) => "review_by",
        }
    }

    /// What the history says of the change, before the member's own note.
    fn detail(&self) -> String {
        match self {
            Change::Verify { review_by } => format!("Next review by {review_by}."),
            Change::Obsolete { replacement, title } => {
                format!("Replaced by “{title}” (#{replacement}).")
            }
            Change::ReviewBy(date) => format!("Review by {date}."),
            Change::NeedsReview | Change::Outdated => String::new(),
        }
    }
}

/// Applies a change and writes it in the entry's history, with `note` after what it did.
pub async fn apply(
    tx: &mut PgConnection,
    entry_id: i64,
    actor_id: i64,
    change: &Change,
    note: &str,
) -> sqlx::Result<()> {
    let (state, replaced_by, review_by) = match change {
        Change::Verify { review_by } => (Some("current"), None, Some(*review_by)),
        Change::NeedsReview => (Some("needs_review"), None, None),
        Change::Outdated => (Some("outdated"), None, None),
        Change::Obsolete { replacement, .. } => (Some("obsolete"), Some(*replacement), None),
        Change::ReviewBy(date) => (None, None, Some(*date)),
    };
    sqlx::query(
        "UPDATE repertoire_entries
            SET state = coalesce($2, state),
                replaced_by = CASE WHEN $2 IS NULL THEN replaced_by ELSE $3 END,
                review_by = coalesce($4, review_by)
          WHERE id = $1",
    )
    .bind(entry_id)
    .bind(state)
    .bind(replaced_by)
    .bind(review_by)
    .execute(&mut *tx)
    .await?;
    let detail = change.detail();
    let note = [detail.as_str(), note]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    record(tx, entry_id, Some(actor_id), change.act(), &note).await
}

async fn record(
    tx: &mut PgConnection,
    entry_id: i64,
    actor_id: Option<i64>,
    act: &str,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO entry_upkeep (entry_id, actor_id, act, note) VALUES ($1, $2, $3, $4)")
        .bind(entry_id)
        .bind(actor_id)
        .bind(act)
        .bind(note)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Names another steward, and says so in the history.
pub async fn set_steward(
    tx: &mut PgConnection,
    entry_id: i64,
    actor_id: i64,
    steward: (i64, &str),
) -> sqlx::Result<()> {
    sqlx::query("UPDATE repertoire_entries SET steward_id = $2 WHERE id = $1")
        .bind(entry_id)
        .bind(steward.0)
        .execute(&mut *tx)
        .await?;
    let note = format!("Steward: {}.", steward.1);
    record(tx, entry_id, Some(actor_id), "steward", &note).await
}

/// Puts a current entry in review when its newest practice reports go against it: more "did
/// not work" than "worked" among the last `RECENT_REPORTS`. Called as a report is filed or
/// changed; returns whether it moved.
pub async fn review_if_reports_go_against(
    db: impl sqlx::PgExecutor<'_>,
    entry_id: i64,
) -> sqlx::Result<bool> {
    let moved = sqlx::query(
        "WITH recent AS (
             SELECT outcome FROM practice_reports WHERE entry_id = $1
              ORDER BY created_at DESC, id DESC LIMIT $2
         ), tally AS (
             SELECT count(*) AS reports,
                    count(*) FILTER (WHERE outcome = 'worked') AS worked,
                    count(*) FILTER (WHERE outcome = 'did_not') AS did_not
               FROM recent
         ), moved AS (
             UPDATE repertoire_entries e SET state = 'needs_review'
               FROM tally
              WHERE e.id = $1 AND e.state = 'current' AND tally.did_not > tally.worked
             RETURNING e.id, tally.reports, tally.worked, tally.did_not
         )
         INSERT INTO entry_upkeep (entry_id, act, note)
         SELECT id, 'needs_review',
                format('Practice reports go against it: of the last %s, %s did not work and %s worked.',
                       reports, did_not, worked)
           FROM moved",
    )
    .bind(entry_id)
    .bind(RECENT_REPORTS)
    .execute(db)
    .await?;
    Ok(moved.rows_affected() > 0)
}

/// Puts every current entry whose review date is `today` or past in review; returns how many.
pub async fn mark_due(db: &PgPool, today: Date) -> sqlx::Result<u64> {
    let moved = sqlx::query(
        "WITH moved AS (
             UPDATE repertoire_entries SET state = 'needs_review'
              WHERE state = 'current' AND review_by <= $1
             RETURNING id, review_by
         )
         INSERT INTO entry_upkeep (entry_id, act, note)
         SELECT id, 'needs_review', format('Its review date, %s, came.', review_by) FROM moved",
    )
    .bind(today)
    .execute(db)
    .await?;
    Ok(moved.rows_affected())
}

/// An entry waiting in its domain's review queue.
#[derive(sqlx::FromRow)]
pub struct Waiting {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub review_by: Date,
    pub steward_username: Option<String>,
    pub steward_name: Option<String>,
    /// The latest note in its history: why it waits.
    pub why: Option<String>,
}

/// How many waiting entries the queue shows, those due longest first.
pub const QUEUE_PAGE: i64 = 100;

pub async fn queue(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<Waiting>> {
    sqlx::query_as(
        "SELECT e.id, e.title, e.state, e.review_by, s.username AS steward_username,
                s.display_name AS steward_name,
                (SELECT u.note FROM entry_upkeep u WHERE u.entry_id = e.id
                  ORDER BY u.id DESC LIMIT 1) AS why
           FROM repertoire_entries e
           LEFT JOIN users s ON s.id = e.steward_id
          WHERE e.domain_id = $1 AND e.state IN ('needs_review', 'outdated')
          ORDER BY e.review_by, e.id
          LIMIT $2",
    )
    .bind(domain_id)
    .bind(QUEUE_PAGE)
    .fetch_all(db)
    .await
}

/// Whether the member stewards an entry of the domain (and so sees its review queue).
pub async fn stewards_in(db: &PgPool, domain_id: i64, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM repertoire_entries WHERE steward_id = $1 AND domain_id = $2)",
    )
    .bind(user_id)
    .bind(domain_id)
    .fetch_one(db)
    .await
}

/// An entry of `domain_id` other than `except`, as a replacement: (id, title).
pub async fn replacement(
    db: &PgPool,
    domain_id: i64,
    id: i64,
    except: i64,
) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT id, title FROM repertoire_entries WHERE id = $1 AND domain_id = $2 AND id <> $3",
    )
    .bind(id)
    .bind(domain_id)
    .bind(except)
    .fetch_optional(db)
    .await
}

/// One act in an entry's upkeep history.
#[derive(sqlx::FromRow)]
pub struct Act {
    /// None for the site's own acts.
    pub actor_name: Option<String>,
    pub act: String,
    pub note: String,
    pub created_at: OffsetDateTime,
}

impl Act {
    pub fn label(&self) -> &'static str {
        match self.act.as_str() {
            "verified" => "Verified",
            "needs_review" => "Put in review",
            "outdated" => "Marked outdated",
            "obsolete" => "Retired as obsolete",
            "review_by" => "Review date changed",
            "steward" => "Steward changed",
            _ => "Changed",
        }
    }
}

/// The newest acts of upkeep on an entry, newest first.
pub async fn history(db: &PgPool, entry_id: i64) -> sqlx::Result<Vec<Act>> {
    sqlx::query_as(
        "SELECT a.display_name AS actor_name, u.act, u.note, u.created_at
           FROM entry_upkeep u LEFT JOIN users a ON a.id = u.actor_id
          WHERE u.entry_id = $1
          ORDER BY u.id DESC LIMIT 50",
    )
    .bind(entry_id)
    .fetch_all(db)
    .await
}

/// A member of the domain (not banned) by username, in any letter case: (id, display name).
pub async fn member_of(
    db: &PgPool,
    domain_id: i64,
    username: &str,
) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.display_name FROM users u
           JOIN memberships m ON m.user_id = u.id AND m.domain_id = $1
          WHERE lower(u.username) = lower($2)
            AND (m.banned_until IS NULL OR m.banned_until <= now())",
    )
    .bind(domain_id)
    .bind(username)
    .fetch_optional(db)
    .await
}
