//! SQL for practice reports and commitments.

use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};

use super::fields::ReportContent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Worked,
    Partly,
    DidNot,
}

impl Outcome {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "worked" => Ok(Outcome::Worked),
            "partly" => Ok(Outcome::Partly),
            "did_not" => Ok(Outcome::DidNot),
            _ => Err("Say how it went: worked, partly, or did not work."),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Worked => "worked",
            Outcome::Partly => "partly",
            Outcome::DidNot => "did_not",
        }
    }
}

pub fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "worked" => "Worked",
        "partly" => "Partly worked",
        _ => "Did not work",
    }
}

/// How far the value of what was tried went, in the Wenger-Trayner value-creation framework:
/// the database's `practice_reports.value_stages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueStage {
    Immediate,
    Potential,
    Applied,
    Realized,
    Reframing,
}

impl ValueStage {
    pub const ALL: [ValueStage; 5] = [
        ValueStage::Immediate,
        ValueStage::Potential,
        ValueStage::Applied,
        ValueStage::Realized,
        ValueStage::Reframing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ValueStage::Immediate => "immediate",
            ValueStage::Potential => "potential",
            ValueStage::Applied => "applied",
            ValueStage::Realized => "realized",
            ValueStage::Reframing => "reframing",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        ValueStage::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The framework's name for it, short.
    pub fn name(self) -> &'static str {
        match self {
            ValueStage::Immediate => "Immediate value",
            ValueStage::Potential => "Potential value",
            ValueStage::Applied => "Applied value",
            ValueStage::Realized => "Realized value",
            ValueStage::Reframing => "Reframing value",
        }
    }

    /// What it means, in a member's words, for the report form.
    pub fn plainly(self) -> &'static str {
        match self {
            ValueStage::Immediate => {
                "Taking part helped in itself: I got unstuck, or felt less alone with it"
            }
            ValueStage::Potential => "I gained knowledge, a skill or a contact I can use later",
            ValueStage::Applied => "I changed what I actually do",
            ValueStage::Realized => {
                "A result that matters got better (yield, time, cost, wellbeing…)"
            }
            ValueStage::Reframing => "It changed how we think about success, or what we aim for",
        }
    }
}

/// The name of a stored stage.
pub fn value_stage_name(raw: &str) -> &'static str {
    ValueStage::parse(raw).map_or("Value", ValueStage::name)
}

/// What a report is about.
#[derive(Clone, Copy, Debug)]
pub enum Subject {
    Entry(i64),
    Thread(i64),
}

/// Also read from JSON, when a page loads its reports inside another statement.
#[derive(sqlx::FromRow, serde::Deserialize, Clone, Debug)]
pub struct Report {
    pub id: i64,
    pub entry_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub author_id: i64,
    pub author_username: String,
    pub author_name: String,
    pub context: String,
    pub tried: String,
    pub outcome: String,
    pub reflection: String,
    /// How far the value went (`ValueStage`), when the reporter said.
    pub value_stages: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub subject_title: String,
    pub learned: bool,
}

impl Report {
    pub fn outcome_label(&self) -> &'static str {
        outcome_label(&self.outcome)
    }

    /// The page of its subject's reports that starts at it, however many came since.
    pub fn subject_href(&self) -> String {
        match (self.entry_id, self.thread_id) {
            (Some(entry), _) => entry_report_href(entry, self.id),
            (None, Some(thread)) => format!("/t/{thread}/reports?from={0}#report-{0}", self.id),
            _ => "/".into(),
        }
    }
}

/// Where an entry's report is shown: the page of the entry's reports that starts at it.
pub fn entry_report_href(entry_id: i64, report_id: i64) -> String {
    format!("/r/{entry_id}/reports?from={report_id}#report-{report_id}")
}

impl Learning {
    /// The report the lesson came from.
    pub fn report_href(&self) -> String {
        entry_report_href(self.entry_id, self.report_id)
    }
}

const REPORT: &str = "
    SELECT r.id, r.entry_id, r.thread_id, r.author_id, u.username AS author_username,
           u.display_name AS author_name, r.context, r.tried, r.outcome, r.reflection, r.value_stages,
           r.created_at,
           coalesce(e.title, t.title) AS subject_title,
           EXISTS (SELECT 1 FROM entry_learnings l WHERE l.report_id = r.id) AS learned
      FROM practice_reports r
      JOIN users u ON u.id = r.author_id
      LEFT JOIN repertoire_entries e ON e.id = r.entry_id
      LEFT JOIN threads t ON t.id = r.thread_id";

/// Reports shown on a thread's or an entry's own page, newest first; the rest are on its
/// reports page (`/t/{id}/reports`, `/r/{id}/reports`), a page at a time. A long-applied thread
/// needs it: 84 reports under each of a 5 000-reply thread's pages made them cost twice an
/// ordinary thread's; and past a hundred, older reports could not be seen anywhere.
pub const NEWEST_SHOWN: i64 = 5;

/// Reports per page of a reports page.
pub const REPORTS_PER_PAGE: i64 = 20;

/// The ids of the reports on the thread whose id is the SQL expression `thread_id`, and on the
/// repertoire entries made from its posts (how its answer fared once curated): newest first,
/// from the report whose id is the SQL expression `from` (none: the newest), at most `limit`.
///
/// The ids are gathered first, each side through its own index: written as `thread_id = … OR
/// entry_id IN (…)`, PostgreSQL walked every report newest first and filtered (75 ms a thread
/// page with 50 000 reports).
fn thread_report_ids(thread_id: &str, from: &str, limit: &str) -> String {
    format!(
        "ARRAY(SELECT x.id
                 FROM (SELECT x.id, x.created_at FROM practice_reports x
                        WHERE x.thread_id = {thread_id}
                       UNION ALL
                       SELECT x.id, x.created_at FROM repertoire_entries p
                         JOIN practice_reports x ON x.entry_id = p.id
                        WHERE p.source_thread_id = {thread_id}) x
                WHERE {from}::bigint IS NULL
                   OR (x.created_at, x.id) <= (SELECT f.created_at, f.id FROM practice_reports f
                                                WHERE f.id = {from}::bigint)
                ORDER BY x.created_at DESC, x.id DESC
                LIMIT {limit})"
    )
}

/// The newest reports on the thread whose id is the SQL expression `thread_id` (as
/// `thread_report_ids` gathers them), one more than its page shows so that it knows to link
/// to the rest, as one JSON array (for a page that loads them in the same statement as the
/// thread).
pub fn reports_on_thread_as_json(thread_id: &str) -> String {
    format!(
        "(SELECT coalesce(json_agg(report ORDER BY report.created_at DESC, report.id DESC), '[]')
            FROM ({REPORT}
                  WHERE r.id = ANY ({ids})) report)",
        ids = thread_report_ids(thread_id, "NULL", &(NEWEST_SHOWN + 1).to_string()),
    )
}

/// How the thread whose id is the SQL expression `thread_id` fared in practice, from all the
/// reports on it (not on entries made from it): [applied, worked, partly, did not], as one
/// array beside the thread.
pub fn thread_tally_as_array(thread_id: &str) -> String {
    format!(
        "(SELECT ARRAY[count(*), count(*) FILTER (WHERE x.outcome = 'worked'),
                       count(*) FILTER (WHERE x.outcome = 'partly'),
                       count(*) FILTER (WHERE x.outcome = 'did_not')]
            FROM practice_reports x WHERE x.thread_id = {thread_id})"
    )
}

/// A page of the thread's reports page: `REPORTS_PER_PAGE` from the report `from` (none: the
/// newest), and one more, whose id starts the next page.
pub async fn thread_reports(
    db: &PgPool,
    thread_id: i64,
    from: Option<i64>,
) -> sqlx::Result<Vec<Report>> {
    static STATEMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{REPORT} WHERE r.id = ANY ({})
              ORDER BY r.created_at DESC, r.id DESC",
            thread_report_ids("$1", "$2", "$3")
        )
    });
    sqlx::query_as(&STATEMENT)
        .bind(thread_id)
        .bind(from)
        .bind(REPORTS_PER_PAGE + 1)
        .fetch_all(db)
        .await
}

/// At most `limit` of an entry's reports, newest first, from the report `from` (none: the
/// newest). A start that is no report of the entry returns reports that do not begin with it.
pub async fn entry_reports(
    db: &PgPool,
    entry_id: i64,
    from: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Report>> {
    static STATEMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{REPORT}
              WHERE r.entry_id = $1
                AND ($2::bigint IS NULL
                     OR (r.created_at, r.id) <= (SELECT f.created_at, f.id FROM practice_reports f
                                                  WHERE f.id = $2))
              ORDER BY r.created_at DESC, r.id DESC
              LIMIT $3"
        )
    });
    sqlx::query_as(&STATEMENT)
        .bind(entry_id)
        .bind(from)
        .bind(limit)
        .fetch_all(db)
        .await
}

pub async fn report(db: &PgPool, id: i64) -> sqlx::Result<Option<Report>> {
    sqlx::query_as(&format!("{REPORT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Recent reports in a domain (on its entries or its visible threads), for its page.
pub async fn recent_in_domain(
    db: &PgPool,
    domain_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<Report>> {
    sqlx::query_as(&format!(
        "{REPORT} WHERE coalesce(e.domain_id, t.domain_id) = $1 AND (t.id IS NULL OR NOT t.hidden)
          ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
    ))
    .bind(domain_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// A member's reports in domains the viewer can read, newest first.
pub async fn reports_by(
    db: &PgPool,
    author_id: i64,
    viewer: Option<&crate::web::CurrentUser>,
) -> sqlx::Result<Vec<Report>> {
    sqlx::query_as(&format!(
        "{REPORT}
         WHERE r.author_id = $1
           AND coalesce(e.domain_id, t.domain_id) IN (SELECT id FROM readable_domains($2))
           AND (t.id IS NULL OR NOT t.hidden)
         ORDER BY r.created_at DESC, r.id DESC LIMIT 20"
    ))
    .bind(author_id)
    .bind(viewer.map(|u| u.id))
    .fetch_all(db)
    .await
}

/// Files a report inside the caller's transaction (which also holds its submission key), and
/// marks the author's open commitment to the entry as fulfilled by it; a report on an entry
/// may put the entry in review. `filed_at` is now unless given (a community file's history).
pub async fn file(
    tx: &mut PgConnection,
    subject: Subject,
    author_id: i64,
    content: ReportContent<'_>,
    filed_at: Option<OffsetDateTime>,
) -> sqlx::Result<i64> {
    let (entry_id, thread_id) = match subject {
        Subject::Entry(id) => (Some(id), None),
        Subject::Thread(id) => (None, Some(id)),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO practice_reports
                (entry_id, thread_id, author_id, context, tried, outcome, reflection, value_stages,
                 created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, now()), coalesce($9, now()))
         RETURNING id",
    )
    .bind(entry_id)
    .bind(thread_id)
    .bind(author_id)
    .bind(content.context)
    .bind(content.tried)
    .bind(content.outcome.as_str())
    .bind(content.reflection)
    .bind(content.stages())
    .bind(filed_at)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(entry_id) = entry_id {
        sqlx::query(
            "UPDATE commitments SET fulfilled_by_report_id = $3
              WHERE user_id = $1 AND entry_id = $2 AND fulfilled_by_report_id IS NULL",
        )
        .bind(author_id)
        .bind(entry_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        crate::educate::upkeep::queries::review_if_reports_go_against(&mut *tx, entry_id).await?;
    }
    Ok(id)
}

/// Changes a report; a changed outcome may put its entry in review (`educate::upkeep`).
pub async fn update(db: &PgPool, id: i64, content: ReportContent<'_>) -> sqlx::Result<()> {
    let entry_id: Option<i64> = sqlx::query_scalar(
        "UPDATE practice_reports
            SET context = $2, tried = $3, outcome = $4, reflection = $5, value_stages = $6,
                updated_at = now()
          WHERE id = $1 RETURNING entry_id",
    )
    .bind(id)
    .bind(content.context)
    .bind(content.tried)
    .bind(content.outcome.as_str())
    .bind(content.reflection)
    .bind(content.stages())
    .fetch_optional(db)
    .await?
    .flatten();
    if let Some(entry_id) = entry_id {
        crate::educate::upkeep::queries::review_if_reports_go_against(db, entry_id).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct Learning {
    pub entry_id: i64,
    pub report_id: i64,
    pub lesson: String,
    pub author_name: String,
}

pub async fn learnings(db: &PgPool, entry_id: i64) -> sqlx::Result<Vec<Learning>> {
    sqlx::query_as(
        "SELECT l.entry_id, l.report_id, l.lesson, u.display_name AS author_name
           FROM entry_learnings l
           JOIN practice_reports r ON r.id = l.report_id
           JOIN users u ON u.id = r.author_id
          WHERE l.entry_id = $1 ORDER BY l.id",
    )
    .bind(entry_id)
    .fetch_all(db)
    .await
}

/// Adds what a report taught to its entry's "What we learned". Once per report.
pub async fn incorporate(
    db: &PgPool,
    entry_id: i64,
    report_id: i64,
    lesson: &str,
    by: i64,
) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "INSERT INTO entry_learnings (entry_id, report_id, lesson, added_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (report_id) DO NOTHING",
    )
    .bind(entry_id)
    .bind(report_id)
    .bind(lesson)
    .bind(by)
    .execute(db)
    .await?;
    if added.rows_affected() == 1 {
        sqlx::query("UPDATE repertoire_entries SET updated_at = now() WHERE id = $1")
            .bind(entry_id)
            .execute(db)
            .await?;
    }
    Ok(added.rows_affected() == 1)
}

pub async fn commit(
    db: &PgPool,
    user_id: i64,
    entry_id: i64,
    intention: &str,
    due_on: Date,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO commitments (user_id, entry_id, intention, due_on) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(entry_id)
    .bind(intention)
    .bind(due_on)
    .fetch_one(db)
    .await
}

#[derive(sqlx::FromRow)]
pub struct Commitment {
    pub id: i64,
    pub entry_id: i64,
    pub entry_title: String,
    pub intention: String,
    pub due_on: Date,
    pub fulfilled_by_report_id: Option<i64>,
}

pub async fn commitments(db: &PgPool, user_id: i64) -> sqlx::Result<Vec<Commitment>> {
    sqlx::query_as(
        "SELECT c.id, c.entry_id, e.title AS entry_title, c.intention, c.due_on, c.fulfilled_by_report_id
           FROM commitments c JOIN repertoire_entries e ON e.id = c.entry_id
          WHERE c.user_id = $1
          ORDER BY c.fulfilled_by_report_id IS NOT NULL, c.due_on, c.id
          LIMIT 500",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Reminds everyone whose commitment fell due before `today` and is still open, once each.
/// `today` is passed in (the server's housekeeping passes the current date; tests pass any
/// date), so the behaviour is tested without waiting. Returns how many reminders were sent.
pub async fn send_due_reminders(db: &PgPool, today: Date) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let sent = sqlx::query(
        "WITH due AS (
             UPDATE commitments SET reminded_at = now()
              WHERE due_on < $1 AND fulfilled_by_report_id IS NULL AND reminded_at IS NULL
              RETURNING user_id, entry_id, intention
         )
         INSERT INTO notifications (user_id, kind, entry_id, message)
         SELECT user_id, 'commitment_due', entry_id, intention FROM due",
    )
    .bind(today)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(sent.rows_affected())
}

/// Invites each asker whose question's answer was accepted long enough before `now` (their
/// domain's `followup_days`) to report back on the thread: once per thread, and not if they
/// already reported on it or the thread is hidden. Returns how many were invited.
pub async fn invite_to_report_back(db: &PgPool, now: OffsetDateTime) -> sqlx::Result<u64> {
    let invited = sqlx::query(
        "WITH due AS (
             UPDATE threads t SET followup_sent_at = $1
               FROM domains d
              WHERE d.id = t.domain_id AND t.accepted_post_id IS NOT NULL
                AND t.followup_sent_at IS NULL
                AND t.accepted_at <= $1 - make_interval(days => d.followup_days)
             RETURNING t.id, t.author_id, t.accepted_post_id, t.hidden
         )
         INSERT INTO notifications (user_id, kind, thread_id, post_id, created_at)
         SELECT author_id, 'did_it_work', id, accepted_post_id, $1 FROM due
          WHERE NOT hidden
            AND NOT EXISTS (SELECT 1 FROM practice_reports r
                             WHERE r.thread_id = due.id AND r.author_id = due.author_id)",
    )
    .bind(now)
    .execute(db)
    .await?;
    Ok(invited.rows_affected())
}
