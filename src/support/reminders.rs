//! Bookmarks with a reminder, as Discourse has them: "remind me in two hours, tomorrow, next
//! week, or at a time I choose". When the time comes the reminder job turns it into a
//! notification (and so a mail, by the member's settings) and clears it; the bookmark stays.

use serde::Deserialize;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

/// The reminder form, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReminderForm {
    /// `none`, `two-hours`, `tomorrow`, `next-week` or `at`.
    pub when: String,
    /// With `at`: a date and time (UTC) as a `datetime-local` field sends it, `2026-12-01T08:00`.
    pub at: String,
}

/// The choices offered, in order: (value, label).
pub const CHOICES: [(&str, &str); 5] = [
    ("two-hours", "In two hours"),
    ("tomorrow", "Tomorrow, at this time"),
    ("next-week", "Next week, at this time"),
    ("at", "At a date and time (UTC)"),
    ("none", "No reminder"),
];

/// How far ahead a reminder may be set.
const FURTHEST: Duration = Duration::days(5 * 365);

impl ReminderForm {
    /// When to remind, counted from `now`: none for "No reminder". Each problem is named with
    /// its field.
    pub fn parse(
        &self,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, (&'static str, &'static str)> {
        let at = match self.when.as_str() {
            "none" => return Ok(None),
            "two-hours" => now + Duration::hours(2),
            "tomorrow" => now + Duration::days(1),
            "next-week" => now + Duration::weeks(1),
            "at" => parse_at(&self.at)?,
            _ => return Err(("when", "Choose when to be reminded.")),
        };
        if at <= now {
            return Err(("at", "That time has passed; choose one to come."));
        }
        if at > now + FURTHEST {
            return Err(("at", "Choose a time within the next five years."));
        }
        Ok(Some(at))
    }
}

fn parse_at(raw: &str) -> Result<OffsetDateTime, (&'static str, &'static str)> {
    if raw.trim().is_empty() {
        return Err(("at", "Give the date and time to be reminded at."));
    }
    crate::web::parse_datetime_local(raw)
        .ok_or(("at", "Give a date and time like 2026-12-01T08:00."))
}

/// Bookmarks the post (if it was not) with this reminder, or with none.
pub async fn set(
    db: &PgPool,
    user_id: i64,
    post_id: i64,
    remind_at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO bookmarks (user_id, post_id, remind_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, post_id) DO UPDATE SET remind_at = EXCLUDED.remind_at",
    )
    .bind(user_id)
    .bind(post_id)
    .bind(remind_at)
    .execute(db)
    .await
    .map(|_| ())
}

/// The reminder on a member's bookmark of a post: none when the post is not bookmarked, and
/// `Some(None)` when it is bookmarked without a reminder.
pub async fn current(
    db: &PgPool,
    user_id: i64,
    post_id: i64,
) -> sqlx::Result<Option<Option<OffsetDateTime>>> {
    sqlx::query_scalar("SELECT remind_at FROM bookmarks WHERE user_id = $1 AND post_id = $2")
        .bind(user_id)
        .bind(post_id)
        .fetch_optional(db)
        .await
}

/// Turns every reminder that has come due into a notification, once: the same statement clears
/// it, so two processes never both send it. A post the member can no longer read (or that was
/// deleted or hidden since) is not named in a notification; its reminder is simply cleared.
pub async fn send_due(db: &PgPool, now: OffsetDateTime) -> sqlx::Result<u64> {
    let sent = sqlx::query(
        "WITH due AS (
             UPDATE bookmarks SET remind_at = NULL
              WHERE remind_at IS NOT NULL AND remind_at <= $1
              RETURNING user_id, post_id
         )
         INSERT INTO notifications (user_id, kind, thread_id, post_id)
         SELECT due.user_id, 'bookmark_reminder', p.thread_id, p.id
           FROM due
           JOIN posts p ON p.id = due.post_id
           JOIN threads t ON t.id = p.thread_id
          WHERE p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
            AND domain_readable(t.domain_id, due.user_id)",
    )
    .bind(now)
    .execute(db)
    .await?;
    Ok(sent.rows_affected())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::ReminderForm;

    fn form(when: &str, at: &str) -> ReminderForm {
        ReminderForm {
            when: when.into(),
            at: at.into(),
        }
    }

    #[test]
    fn each_choice_is_counted_from_now() {
        let now = datetime!(2026-11-24 10:00 UTC);
        assert_eq!(
            form("two-hours", "").parse(now),
            Ok(Some(datetime!(2026-11-24 12:00 UTC)))
        );
        assert_eq!(
            form("tomorrow", "").parse(now),
            Ok(Some(datetime!(2026-11-25 10:00 UTC)))
        );
        assert_eq!(
            form("next-week", "").parse(now),
            Ok(Some(datetime!(2026-12-01 10:00 UTC)))
        );
        assert_eq!(
            form("at", "2026-12-01T08:30").parse(now),
            Ok(Some(datetime!(2026-12-01 08:30 UTC)))
        );
        assert_eq!(form("none", "whatever").parse(now), Ok(None));
    }

    #[test]
    fn a_bad_time_is_named_with_its_field() {
        let now = datetime!(2026-11-24 10:00 UTC);
        for (when, at, field) in [
            ("at", "", "at"),
            ("at", "next tuesday", "at"),
            ("at", "2026-11-24T09:59", "at"),
            ("at", "2099-01-01T00:00", "at"),
            ("at", "2026-02-30T08:00", "at"),
            ("soonish", "", "when"),
            ("", "", "when"),
        ] {
            let problem = form(when, at).parse(now).map(|_| ()).unwrap_err();
            assert_eq!(problem.0, field, "{when} {at}");
        }
    }
}
