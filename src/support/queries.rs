//! SQL for Support.

use sqlx::PgPool;
use time::OffsetDateTime;

use crate::forum::queries::{with_marks, ThreadSummary, THREAD_SUMMARY};
use crate::forum::views::SuggestedMember;
use crate::web::CurrentUser;

/// Marks `post_id` as the thread's accepted answer and tells its author, together.
pub async fn accept(db: &PgPool, thread_id: i64, post_id: i64, actor_id: i64) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE threads SET accepted_post_id = $2, accepted_at = now()
          WHERE id = $1 AND accepted_post_id IS DISTINCT FROM $2",
    )
    .bind(thread_id)
    .bind(post_id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 1 {
        super::notify::answer_accepted(&mut tx, post_id, thread_id, actor_id).await?;
    }
    tx.commit().await
}

pub async fn clear_accepted(db: &PgPool, thread_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE threads SET accepted_post_id = NULL, accepted_at = NULL WHERE id = $1")
        .bind(thread_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Where a page of the unanswered queue starts: after this (has replies, created at, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueCursor {
    pub answered: bool,
    pub at: OffsetDateTime,
    pub id: i64,
}

impl QueueCursor {
    pub fn encode(&self) -> String {
        format!(
            "{}_{}_{}",
            u8::from(self.answered),
            self.at.unix_timestamp_nanos() / 1000,
            self.id
        )
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('_');
        let answered = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let micros: i128 = parts.next()?.parse().ok()?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1000)?).ok()?;
        let id = parts.next()?.parse().ok()?;
        parts
            .next()
            .is_none()
            .then_some(QueueCursor { answered, at, id })
    }
}

pub const QUEUE_PAGE: i64 = 30;

/// Open questions of a domain: those with no reply at all first, then the oldest first.
pub async fn unanswered(
    db: &PgPool,
    domain_id: i64,
    after: Option<QueueCursor>,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<ThreadSummary>> {
    let list = format!(
        "{THREAD_SUMMARY}
          WHERE t.domain_id = $1 AND t.kind = 'question' AND t.accepted_post_id IS NULL AND NOT t.hidden
            AND NOT t.locked
            AND ($2::boolean IS NULL OR (t.reply_count > 0, t.created_at, t.id) > ($2, $3, $4))
          ORDER BY t.reply_count > 0, t.created_at, t.id
          LIMIT {QUEUE_PAGE}"
    );
    let order = "s.reply_count > 0, s.created_at, s.id";
    sqlx::query_as(&with_marks(&list, "$5", order))
        .bind(domain_id)
        .bind(after.map(|c| c.answered))
        .bind(after.map(|c| c.at))
        .bind(after.map(|c| c.id))
        .bind(viewer)
        .fetch_all(db)
        .await
}

#[derive(sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub message: String,
    pub actor_name: Option<String>,
    pub thread_title: Option<String>,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

impl Notification {
    pub fn sentence(&self) -> String {
        let actor = self.actor_name.as_deref().unwrap_or("Someone");
        let thread = self.thread_title.as_deref().unwrap_or("a thread");
        match self.kind.as_str() {
            "mention" => format!("{actor} mentioned you in “{thread}”"),
            "reply" => format!("{actor} replied in “{thread}”"),
            "new_thread" => format!("{actor} started “{thread}”"),
            "message" => format!("{actor} wrote to you: “{thread}”"),
            "accepted" => format!("{actor} accepted your answer in “{thread}”"),
            "flag_outcome" => format!("{} (“{thread}”)", self.message),
            "flagged" => format!(
                "A post in “{thread}” was flagged ({}); it waits in the flag queue",
                self.message
            ),
            "message_flagged" => format!(
                "{actor} flagged a private message ({}); it waits for the admins' review",
                self.message
            ),
            "post_hidden" => format!(
                "Your post in “{thread}” was hidden after several members flagged it; \
                 a facilitator will review it"
            ),
            "bookmark_reminder" => {
                format!("Reminder: the post you bookmarked in “{thread}”")
            }
            "mentor_requested" | "mentor_paired" => self.message.clone(),
            "did_it_work" => {
                format!(
                    "Did the accepted answer in “{thread}” work for you? Report back in one step."
                )
            }
            "commitment_due" => {
                format!("You planned to try “{thread}” by now. How did it go? Report back.")
            }
            _ => format!("{actor}: “{thread}”"),
        }
    }
}

pub const NOTIFICATIONS_PAGE: i64 = 30;

pub async fn notifications(
    db: &PgPool,
    user_id: i64,
    before: Option<i64>,
) -> sqlx::Result<Vec<Notification>> {
    sqlx::query_as(&format!(
        "SELECT n.id, n.kind, n.message, a.display_name AS actor_name,
                -- The title only while the member may still read where it is (a
                -- conversation's member always may).
                CASE WHEN c.id IS NOT NULL THEN c.title
                     WHEN domain_readable(coalesce(t.domain_id, e.domain_id), $1)
                     THEN coalesce(t.title, e.title) END AS thread_title,
                n.created_at, n.read_at
           FROM notifications n
           LEFT JOIN users a ON a.id = n.actor_id
           LEFT JOIN threads t ON t.id = n.thread_id
           LEFT JOIN repertoire_entries e ON e.id = n.entry_id
           LEFT JOIN conversations c ON c.id = n.conversation_id
          WHERE n.user_id = $1 AND ($2::bigint IS NULL OR n.id < $2)
          ORDER BY n.id DESC
          LIMIT {NOTIFICATIONS_PAGE}"
    ))
    .bind(user_id)
    .bind(before)
    .fetch_all(db)
    .await
}

/// Where a notification points: the flag queue's domain (for `flagged`), post, thread, entry,
/// conversation.
#[derive(sqlx::FromRow)]
struct NotificationTarget {
    queue: Option<String>,
    post_id: Option<i64>,
    thread_id: Option<i64>,
    entry_id: Option<i64>,
    conversation_id: Option<i64>,
    /// A message flagged to the admins (for `message_flagged`).
    flagged_message: Option<i64>,
    /// The thread whose accepted answer the asker is asked about (for `did_it_work`).
    report_on: Option<i64>,
    /// A domain's mentors page (for mentoring notifications).
    mentors_of: Option<String>,
}

/// Marks one of the member's notifications read and returns where it points: a flagged post's
/// facilitators go to the domain's flag queue, a flagged message's admins to its review page,
/// everyone else to the post, thread, entry or conversation.
pub async fn open_notification(db: &PgPool, user_id: i64, id: i64) -> sqlx::Result<Option<String>> {
    let target: Option<NotificationTarget> = sqlx::query_as(
        "UPDATE notifications n SET read_at = coalesce(n.read_at, now())
          WHERE n.id = $1 AND n.user_id = $2
          RETURNING (SELECT d.slug FROM threads t JOIN domains d ON d.id = t.domain_id
                      WHERE n.kind = 'flagged' AND t.id = n.thread_id) AS queue,
                    n.post_id, n.thread_id, n.entry_id, n.conversation_id,
                    CASE WHEN n.kind = 'message_flagged' THEN n.message_id END AS flagged_message,
                    CASE WHEN n.kind = 'did_it_work' THEN n.thread_id END AS report_on,
                    (SELECT d.slug FROM domains d WHERE d.id = n.domain_id) AS mentors_of",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    Ok(target.map(|target| match target {
        NotificationTarget {
            queue: Some(queue), ..
        } => format!("/d/{queue}/flags"),
        NotificationTarget {
            flagged_message: Some(message),
            ..
        } => format!("/admin/message-flags/{message}"),
        NotificationTarget {
            report_on: Some(thread),
            ..
        } => format!("/t/{thread}/report"),
        NotificationTarget {
            mentors_of: Some(slug),
            ..
        } => format!("/d/{slug}/mentors"),
        NotificationTarget {
            post_id: Some(post),
            ..
        } => format!("/p/{post}"),
        NotificationTarget {
            thread_id: Some(thread),
            ..
        } => format!("/t/{thread}"),
        NotificationTarget {
            entry_id: Some(entry),
            ..
        } => format!("/r/{entry}/report"),
        NotificationTarget {
            conversation_id: Some(c),
            ..
        } => format!("/messages/{c}"),
        _ => "/notifications".to_string(),
    }))
}

pub async fn mark_all_read(db: &PgPool, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn toggle_bookmark(db: &PgPool, user_id: i64, post_id: i64) -> sqlx::Result<bool> {
    let removed = sqlx::query("DELETE FROM bookmarks WHERE user_id = $1 AND post_id = $2")
        .bind(user_id)
        .bind(post_id)
        .execute(db)
        .await?;
    if removed.rows_affected() > 0 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO bookmarks (user_id, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(user_id)
        .bind(post_id)
        .execute(db)
        .await?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
pub struct Bookmark {
    pub post_id: i64,
    pub thread_title: String,
    pub author_name: String,
    pub body_md: String,
    pub created_at: OffsetDateTime,
    pub remind_at: Option<OffsetDateTime>,
}

/// A member's bookmarks, newest first, leaving out what they can no longer read.
pub async fn bookmarks(db: &PgPool, user: &CurrentUser) -> sqlx::Result<Vec<Bookmark>> {
    sqlx::query_as(
        "SELECT p.id AS post_id, t.title AS thread_title, u.display_name AS author_name, p.body_md,
                b.created_at, b.remind_at
           FROM bookmarks b
           JOIN listed_posts($1) p ON p.id = b.post_id
           JOIN threads t ON t.id = p.thread_id
           JOIN users u ON u.id = p.author_id
          WHERE b.user_id = $1
          ORDER BY b.created_at DESC
          LIMIT 200",
    )
    .bind(user.id)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow)]
pub struct Expert {
    pub username: String,
    pub display_name: String,
    pub expertise: Vec<String>,
    /// What they did on the topic (`expertise_evidence`), in domains the viewer may read.
    pub accepted: i64,
    pub helpful: i64,
    pub curated: i64,
    pub worked: i64,
    pub score: i64,
    pub recent_thread_ids: Vec<i64>,
    pub recent_titles: Vec<String>,
}

impl Expert {
    pub fn recent(&self) -> Vec<(i64, &str)> {
        self.recent_thread_ids
            .iter()
            .copied()
            .zip(self.recent_titles.iter().map(String::as_str))
            .collect()
    }

    pub fn evidence(&self) -> String {
        evidence_words(self.accepted, self.helpful, self.curated, self.worked)
    }

    /// Whether they list the topic themselves.
    pub fn states(&self, tag: &str) -> bool {
        self.expertise.iter().any(|t| t == tag)
    }

    /// Where the next page starts after this member.
    pub fn cursor(&self) -> String {
        format!("{}:{}", self.score, self.username)
    }
}

/// What a member did on a topic, in words: "2 accepted answers · 1 entry curated".
pub fn evidence_words(accepted: i64, helpful: i64, curated: i64, worked: i64) -> String {
    let parts = [
        (accepted, "accepted answer", "accepted answers"),
        (helpful, "post found helpful", "posts found helpful"),
        (
            curated,
            "repertoire entry curated",
            "repertoire entries curated",
        ),
        (
            worked,
            "report that their entry worked",
            "reports that their entries worked",
        ),
    ];
    parts
        .into_iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many)| crate::web::count(n, one, many))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Experts shown per page of the directory.
pub const EXPERTS_PER_PAGE: i64 = 30;

/// Where a page of the directory starts: after (score, username).
pub fn expert_cursor(raw: &str) -> Option<(i32, String)> {
    let (score, username) = raw.split_once(':')?;
    Some((score.parse().ok()?, username.to_string()))
}

/// Who knows `tag`: members with evidence on it in the domains the viewer may read, or who list
/// it, ranked by evidence (then by username), a page of `EXPERTS_PER_PAGE` (and one more, to
/// tell whether there is a next) after `after`; each with up to three recent threads they wrote
/// in about it, from domains the viewer can read.
///
/// The ranking over what every visitor may read is kept on write (`topic_standing`), so a page
/// is a range of its index; the evidence from private domains the viewer may read is added here,
/// for the members it concerns. The recent threads come from each shown member's newest 50 posts,
/// read from an index that carries their thread and domain.
pub async fn experts(
    db: &PgPool,
    viewer: Option<&CurrentUser>,
    tag: &str,
    after: Option<(i32, String)>,
) -> sqlx::Result<Vec<Expert>> {
    let (after_score, after_name) = after.unzip();
    sqlx::query_as(
        "WITH private_evidence AS (
             SELECT e.user_id, sum(e.accepted) AS accepted, sum(e.helpful) AS helpful,
                    sum(e.curated) AS curated, sum(e.worked) AS worked, sum(e.score) AS score
               FROM topic_evidence e
              WHERE e.tag = $1 AND $2::bigint IS NOT NULL
                AND e.domain_id = ANY (ARRAY(SELECT id FROM readable_domains($2)
                                             EXCEPT SELECT id FROM readable_domains(NULL)))
              GROUP BY e.user_id
         ),
         -- The index's next page, with a row more for each member with private evidence:
         -- they are dropped from it and come back below with their private evidence added.
         public_page AS (
             SELECT s.user_id, s.username, s.accepted::bigint, s.helpful::bigint,
                    s.curated::bigint, s.worked::bigint, s.score::bigint
               FROM topic_standing s JOIN users u ON u.id = s.user_id
              WHERE s.tag = $1
                AND ($3::integer IS NULL OR (-s.score, s.username) > (-$3, $4))
                AND (u.suspended_until IS NULL OR u.suspended_until <= now())
              ORDER BY -s.score, s.username
              LIMIT $5 + (SELECT count(*) FROM private_evidence)
         ),
         with_private AS (
             SELECT x.user_id, u.username, x.accepted + coalesce(s.accepted, 0) AS accepted,
                    x.helpful + coalesce(s.helpful, 0) AS helpful,
                    x.curated + coalesce(s.curated, 0) AS curated,
                    x.worked + coalesce(s.worked, 0) AS worked,
                    x.score + coalesce(s.score, 0) AS score
               FROM private_evidence x
               -- Looked up per member (OFFSET 0 keeps them lookups): hashing every member
               -- and every standing on the topic cost 7 ms for an admin.
               JOIN LATERAL (SELECT u.username, u.suspended_until FROM users u
                              WHERE u.id = x.user_id OFFSET 0) u ON true
               LEFT JOIN LATERAL (SELECT s.accepted, s.helpful, s.curated, s.worked, s.score
                                    FROM topic_standing s
                                   WHERE s.tag = $1 AND s.user_id = x.user_id OFFSET 0) s ON true
              WHERE u.suspended_until IS NULL OR u.suspended_until <= now()
         ),
         shown AS (
             SELECT * FROM (SELECT * FROM public_page p
                             WHERE NOT EXISTS (SELECT 1 FROM private_evidence x
                                                WHERE x.user_id = p.user_id)
                            UNION ALL SELECT * FROM with_private) r
              WHERE $3::integer IS NULL OR r.score < $3 OR (r.score = $3 AND r.username > $4)
              ORDER BY r.score DESC, r.username
              LIMIT $5
         ),
         -- As one array, tested per post inside the index scan below; as a set, each post's
         -- domain was looked up in it once more (1 642 lookups for a page).
         readable AS (SELECT array_agg(id) AS ids FROM readable_domains($2))
         SELECT r.username, u.display_name, u.expertise, r.accepted, r.helpful, r.curated,
                r.worked, r.score,
                coalesce(recent.ids, '{}') AS recent_thread_ids,
                coalesce(recent.titles, '{}') AS recent_titles
           FROM shown r JOIN users u ON u.id = r.user_id
           LEFT JOIN LATERAL (
               -- Their newest posts, a row per thread, then the threads about the topic:
               -- tagged with it, or its word in the title or in what they wrote there.
               -- `listed_posts($2)` written out in two halves: the post's own conditions
               -- and its domain here, its thread not hidden below, for the three threads
               -- shown only. Calling `listed_posts` checked every post's thread: 0.039–0.043
               -- against 0.028·B at a million posts. A change to that rule belongs in both.
               SELECT array_agg(c.id ORDER BY c.at DESC) AS ids,
                      array_agg(c.title ORDER BY c.at DESC) AS titles
                 FROM (
                     SELECT t.id, t.title, w.at
                       -- The newest 50 are read from the index alone (`posts_author_idx`
                       -- carries what they are filtered on); only the posts in the threads
                       -- looked at below are read, for their words.
                       FROM (SELECT p.thread_id, max(p.created_at) AS at,
                                    array_agg(p.id) AS post_ids
                               FROM (SELECT p.id, p.thread_id, p.created_at
                                       FROM posts p
                                      WHERE p.author_id = r.user_id AND p.deleted_at IS NULL
                                        AND NOT p.hidden
                                        AND p.domain_id = ANY ((SELECT ids FROM readable)::bigint[])
                                      ORDER BY p.created_at DESC
                                      LIMIT 50) p
                              GROUP BY p.thread_id
                              ORDER BY at DESC) w
                       -- Newest first, so the lookups stop at the third thread found; what
                       -- they wrote is read last, by post id. OFFSET 0 keeps that a lookup of
                       -- those posts: with the word's test beside it, a generic plan
                       -- intersected them with every post that has the word (1.8 s).
                       JOIN LATERAL (
                           SELECT t.id, t.title FROM threads t
                            WHERE t.id = w.thread_id AND NOT t.hidden
                              AND (t.tags @> ARRAY[$1]
                                   OR t.search @@ plainto_tsquery('english', $1)
                                   OR EXISTS (SELECT 1
                                                FROM (SELECT s.search FROM posts s
                                                       WHERE s.id = ANY (w.post_ids)
                                                      OFFSET 0) s
                                               WHERE s.search @@ plainto_tsquery('english', $1)))
                       ) t ON true
                      ORDER BY w.at DESC
                      LIMIT 3
                 ) c
           ) recent ON true
          ORDER BY r.score DESC, r.username",
    )
    .bind(tag)
    .bind(viewer.map(|u| u.id))
    .bind(after_score)
    .bind(after_name)
    .bind(EXPERTS_PER_PAGE + 1)
    .fetch_all(db)
    .await
}

/// A member's evidence by topic, in the domains the viewer may read: (tag, accepted, helpful,
/// curated, worked), the strongest twelve, for their profile; counted on write over their whole
/// history (`topic_evidence`).
pub async fn evidence_of(
    db: &PgPool,
    viewer: Option<i64>,
    user_id: i64,
) -> sqlx::Result<Vec<(String, i64, i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT tag, sum(accepted)::bigint, sum(helpful)::bigint, sum(curated)::bigint,
                sum(worked)::bigint
           FROM topic_evidence
          WHERE user_id = $2 AND domain_id IN (SELECT id FROM readable_domains($1))
          GROUP BY tag
          ORDER BY sum(score) DESC, tag
          LIMIT 12",
    )
    .bind(viewer)
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// The areas of expertise members list most, with how many list each (kept on write in
/// `expertise_counts`).
pub async fn expertise_tags(db: &PgPool) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT tag, members::bigint FROM expertise_counts ORDER BY members DESC, tag LIMIT 300",
    )
    .fetch_all(db)
    .await
}

/// Members of a domain to suggest for a question being written (`text`): those with evidence
/// on, or who list, a topic the text names (a tag members list as expertise, or a tag of the
/// domain's repertoire), ranked by evidence as `/members?expertise=` ranks them, counted in the
/// domains the asker may read.
pub async fn suggest_experts(
    db: &PgPool,
    domain_id: i64,
    asker_id: i64,
    text: &str,
) -> sqlx::Result<Vec<SuggestedMember>> {
    sqlx::query_as(
        "WITH members AS (
             SELECT u.id, u.username, u.display_name, u.expertise
               FROM memberships m JOIN users u ON u.id = m.user_id
              WHERE m.domain_id = $1 AND u.id <> $2
         ),
         topics AS (
             SELECT DISTINCT tag FROM (
                 SELECT unnest(expertise) AS tag FROM members
                 UNION SELECT name FROM repertoire_facets WHERE domain_id = $1 AND facet = 'tag'
             ) known
              WHERE strpos(lower($3), tag) > 0
         ),
         evidence AS (
             SELECT tp.tag, ev.user_id, ev.score
               FROM topics tp CROSS JOIN LATERAL expertise_evidence(tp.tag, $2) ev
         ),
         matched AS (
             SELECT id, tag FROM members m, unnest(m.expertise) tag WHERE tag IN (SELECT tag FROM topics)
             UNION SELECT user_id, tag FROM evidence
         )
         SELECT m.username, m.display_name,
                array(SELECT x.tag FROM matched x WHERE x.id = m.id ORDER BY x.tag) AS matched
           FROM members m
           LEFT JOIN (SELECT user_id, sum(score) AS score FROM evidence GROUP BY user_id) s
                  ON s.user_id = m.id
          WHERE EXISTS (SELECT 1 FROM matched x WHERE x.id = m.id)
          ORDER BY coalesce(s.score, 0) DESC, m.display_name
          LIMIT 8",
    )
    .bind(domain_id)
    .bind(asker_id)
    .bind(text)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::QueueCursor;

    #[test]
    fn queue_cursors_round_trip() {
        let cursor = QueueCursor {
            answered: true,
            at: time::macros::datetime!(2026-01-02 03:04:05.678901 UTC),
            id: 9,
        };
        assert_eq!(QueueCursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(QueueCursor::parse("2_1_1"), None);
        assert_eq!(QueueCursor::parse("1_1_1_1"), None);
        assert_eq!(QueueCursor::parse("junk"), None);
    }
}
