//! SQL for the weekly digest: one short list per part of a domain's week, each read through an
//! index on the domain and the time, and the members it goes to.

use sqlx::PgPool;
use time::OffsetDateTime;

use super::{Item, Week};
use crate::support::mailing::queries::WEEKLY;
use crate::support::mailing::views::DIGEST;

/// How many items each list of the digest shows.
const SHOWN: i64 = 5;

/// A domain that may have a digest to send.
#[derive(sqlx::FromRow)]
pub struct DigestDomain {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// Domains that are not archived; a quiet one is skipped once its week is read.
pub async fn domains(db: &PgPool) -> sqlx::Result<Vec<DigestDomain>> {
    sqlx::query_as("SELECT id, slug, name FROM domains WHERE archived_at IS NULL ORDER BY id")
        .fetch_all(db)
        .await
}

/// Someone the domain's digest goes to.
#[derive(sqlx::FromRow)]
pub struct Recipient {
    pub id: i64,
    pub email: String,
    pub display_name: String,
}

/// Members of the domain (not banned, not suspended, with a confirmed address) who have not been
/// on the site since `since` and have not turned the digest off.
pub async fn recipients(
    db: &PgPool,
    domain_id: i64,
    since: OffsetDateTime,
) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as(
        "SELECT u.id, u.email, u.display_name
           FROM memberships m
           JOIN users u ON u.id = m.user_id
           JOIN member_presence p ON p.user_id = u.id
           LEFT JOIN mail_preferences mp ON mp.user_id = u.id AND mp.kind = $3
          WHERE m.domain_id = $1
            AND (m.banned_until IS NULL OR m.banned_until <= now())
            AND u.email_confirmed_at IS NOT NULL
            AND (u.suspended_until IS NULL OR u.suspended_until <= now())
            AND p.seen_at < $2
            AND coalesce(mp.delivery, $4) = $4
          ORDER BY u.id",
    )
    .bind(domain_id)
    .bind(since)
    .bind(DIGEST)
    .bind(WEEKLY)
    .fetch_all(db)
    .await
}

/// Everything the digest says about the domain's week since `since`. Only what every member
/// may read: nothing hidden or deleted, nothing that has left the domain.
pub async fn week(db: &PgPool, domain_id: i64, since: OffsetDateTime) -> sqlx::Result<Week> {
    let list = |sql: &'static str| {
        sqlx::query_as::<_, Item>(sql)
            .bind(domain_id)
            .bind(since)
            .bind(SHOWN)
            .fetch_all(db)
    };
    let (learned, solved, waiting, joined, upcoming) = tokio::try_join!(
        list(LEARNED),
        list(SOLVED),
        list(WAITING),
        list(JOINED),
        list(UPCOMING)
    )?;
    let (spotlight, helpful, reports, falling_due) = tokio::try_join!(
        list(SPOTLIGHT),
        list(HELPFUL),
        list(REPORTS),
        list(FALLING_DUE)
    )?;
    Ok(Week {
        learned,
        solved,
        waiting,
        joined,
        upcoming,
        spotlight,
        helpful,
        reports,
        falling_due,
    })
}

// Each list: `$1` the domain, `$2` the start of the week, `$3` how many to show.

/// Educate: repertoire entries added or revised this week.
const LEARNED: &str = "
    SELECT CASE WHEN created_at >= $2 THEN 'New ' ELSE 'Updated ' END || kind || ': ' || title AS text,
           '/r/' || id AS path
      FROM repertoire_entries
     WHERE domain_id = $1 AND updated_at >= $2
     ORDER BY updated_at DESC, id DESC
     LIMIT $3";

/// Support: questions whose answer was accepted this week.
const SOLVED: &str = "
    SELECT title AS text, '/t/' || id AS path
      FROM threads
     WHERE domain_id = $1 AND accepted_at >= $2 AND NOT hidden
     ORDER BY accepted_at DESC
     LIMIT $3";

/// Support: questions of the last month still without an accepted answer, the unanswered first.
const WAITING: &str = "
    SELECT title || CASE reply_count WHEN 0 THEN ' (no replies yet)'
                                     WHEN 1 THEN ' (1 reply)'
                                     ELSE ' (' || reply_count || ' replies)' END AS text,
           '/t/' || id AS path
      FROM threads
     WHERE domain_id = $1 AND kind = 'question' AND accepted_post_id IS NULL AND NOT hidden
       AND NOT locked AND created_at >= $2 - interval '3 weeks'
     ORDER BY reply_count > 0, created_at
     LIMIT $3";

/// Cultivate: members who joined this week.
const JOINED: &str = "
    SELECT u.display_name AS text, '/u/' || u.username AS path
      FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.domain_id = $1 AND m.joined_at >= $2
       AND (m.banned_until IS NULL OR m.banned_until <= now())
     ORDER BY m.joined_at
     LIMIT $3";

/// Cultivate: events starting in the next two weeks.
const UPCOMING: &str = "
    SELECT title || ', ' || to_char(starts_at AT TIME ZONE time_zone, 'Dy DD Mon HH24:MI')
               || ' (' || time_zone || ')' AS text,
           '/e/' || id AS path
      FROM events
     WHERE domain_id = $1 AND starts_at > now() AND starts_at < now() + interval '2 weeks'
     ORDER BY starts_at
     LIMIT $3";

/// Encourage: what facilitators featured this week, with their reason.
const SPOTLIGHT: &str = "
    SELECT coalesce(e.title, t.title) || ': ' || s.reason AS text,
           coalesce('/r/' || e.id, '/p/' || p.id) AS path
      FROM spotlights s
      LEFT JOIN repertoire_entries e ON e.id = s.entry_id
      LEFT JOIN posts p ON p.id = s.post_id AND p.deleted_at IS NULL AND NOT p.hidden
      LEFT JOIN threads t ON t.id = p.thread_id AND NOT t.hidden AND t.domain_id = s.domain_id
     WHERE s.domain_id = $1 AND s.created_at >= $2 AND (e.id IS NOT NULL OR t.id IS NOT NULL)
     ORDER BY s.created_at DESC
     LIMIT $3";

/// Encourage: the posts members marked helpful most often this week.
const HELPFUL: &str = "
    SELECT a.display_name || ' in “' || t.title || '” ('
               || count(*) || CASE count(*) WHEN 1 THEN ' member' ELSE ' members' END
               || ' found it helpful)' AS text,
           '/p/' || p.id AS path
      FROM reactions r
      JOIN posts p ON p.id = r.post_id
      JOIN threads t ON t.id = p.thread_id
      JOIN users a ON a.id = p.author_id
     WHERE r.created_at >= $2 AND r.kind = 'helpful'
       AND p.domain_id = $1 AND p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
     GROUP BY p.id, a.display_name, t.title
     ORDER BY count(*) DESC, p.id
     LIMIT $3";

/// Integrate: practice reports filed this week, with how it went.
const REPORTS: &str = "
    SELECT a.display_name || ' tried “' || coalesce(e.title, t.title) || '”: '
               || CASE r.outcome WHEN 'worked' THEN 'it worked'
                                 WHEN 'partly' THEN 'it partly worked'
                                 ELSE 'it did not work' END AS text,
           coalesce('/r/' || e.id, '/t/' || t.id) AS path
      FROM practice_reports r
      JOIN users a ON a.id = r.author_id
      LEFT JOIN repertoire_entries e ON e.id = r.entry_id
      LEFT JOIN threads t ON t.id = r.thread_id AND NOT t.hidden
     WHERE r.created_at >= $2 AND coalesce(e.domain_id, t.domain_id) = $1
     ORDER BY r.created_at DESC
     LIMIT $3";

/// Integrate: practices members committed to try that fall due in the coming week.
const FALLING_DUE: &str = "
    SELECT e.title || ': ' || count(*)
               || CASE count(*) WHEN 1 THEN ' member plans' ELSE ' members plan' END
               || ' to report back by ' || to_char(max(c.due_on), 'Dy DD Mon') AS text,
           '/r/' || e.id AS path
      FROM commitments c JOIN repertoire_entries e ON e.id = c.entry_id
     WHERE e.domain_id = $1 AND c.fulfilled_by_report_id IS NULL
       AND c.reminded_at IS NULL
       AND c.due_on >= current_date AND c.due_on < current_date + 7
     GROUP BY e.id, e.title
     ORDER BY min(c.due_on), e.id
     LIMIT $3";
