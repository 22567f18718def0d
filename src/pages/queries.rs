//! The statements behind the domain and thread pages, which read what the functions keep beside
//! the core. Each function writes its own part of the SQL; these put the parts together, as
//! `pages` may and `forum` may not.

use std::sync::{Arc, LazyLock};

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::encourage::queries::Featured;
use crate::forum::polls::Poll;
use crate::forum::queries::{Domain, Post, PostWritten, Thread, POSTS_PER_PAGE};
use crate::forum::watching::Level;
use crate::integrate::queries::Report;
use crate::web::submission::{self, SubmissionKey};
use crate::{cultivate, educate, encourage, forum, integrate, support};

/// What one viewer has marked on a page of posts: their watching level on the thread, which of
/// the posts they bookmarked, and which posts are in the repertoire (with the entry).
#[derive(Default)]
pub struct PageMarks {
    pub watch_level: Option<Level>,
    pub bookmarked: Vec<i64>,
    pub promoted_posts: Vec<i64>,
    pub promoted_entries: Vec<i64>,
    /// The viewer's own reactions on these posts, as `post id:kind`.
    pub reacted: Vec<String>,
    /// Posts the viewer has flagged and the facilitators have not yet reviewed.
    pub flagged: Vec<i64>,
    /// The polls of these posts, by post.
    pub polls: Vec<(i64, Poll)>,
}

impl PageMarks {
    pub fn poll_for(&self, post_id: &i64) -> Option<&Poll> {
        self.polls
            .iter()
            .find(|(post, _)| post == post_id)
            .map(|(_, poll)| poll)
    }

    pub fn has_reacted(&self, post_id: &i64, kind: &&str) -> bool {
        self.reacted.contains(&format!("{post_id}:{kind}"))
    }

    /// The entry a post was promoted to. Zipping the two lists cannot index out of bounds even
    /// if they ever differed in length.
    pub fn entry_for(&self, post_id: &i64) -> Option<i64> {
        self.promoted_posts
            .iter()
            .zip(&self.promoted_entries)
            .find(|(post, _)| *post == post_id)
            .map(|(_, entry)| *entry)
    }
}

/// The domain with what its page shows beside the thread list: the repertoire sidebar
/// (Educate), the spotlight (Encourage) and the introductions thread with whether the viewer
/// has posted there (Cultivate), in one statement. (Recent practice reports are a statement of
/// their own: inside this one the planner, not knowing the domain, hashed every report.)
#[derive(sqlx::FromRow)]
pub struct DomainHead {
    #[sqlx(flatten)]
    pub domain: Domain,
    pub repertoire: Json<Vec<(bool, i64, String, i32)>>,
    pub spotlight: Json<Vec<Featured>>,
    pub introductions: Option<Json<(i64, bool)>>,
    /// The viewer's watching level on the domain, if they chose one (`forum::watching`).
    pub watch_level: Option<String>,
}

pub async fn domain_head(
    db: &PgPool,
    slug: &str,
    viewer: Option<i64>,
) -> sqlx::Result<Option<DomainHead>> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT dom.*, {} AS repertoire, {} AS spotlight, {} AS introductions,
                    (SELECT w.level FROM domain_watches w
                      WHERE w.domain_id = dom.id AND w.user_id = $2) AS watch_level
               FROM ({} WHERE d.slug = $1) dom",
            educate::queries::sidebar_as_json("dom.id"),
            encourage::queries::featured_as_json("dom.id"),
            cultivate::queries::introductions_as_json("dom.id", "$2"),
            forum::queries::DOMAIN,
        )
    });
    sqlx::query_as(&STATEMENT)
        .bind(slug)
        .bind(viewer)
        .fetch_optional(db)
        .await
}

/// The thread with what the page shows beside it: the viewer's watching level, how far they
/// have read it, and the practice reports on it (Integrate), in one statement.
#[derive(sqlx::FromRow)]
pub struct ThreadHead {
    #[sqlx(flatten)]
    pub thread: Thread,
    /// The viewer's watching level on the thread (`forum::watching`).
    pub watch_level: String,
    /// The newest reports (`integrate::queries::NEWEST_SHOWN`, and one more if there are).
    pub reports: Json<Vec<Report>>,
    /// How the thread fared in practice (`integrate::queries::thread_tally_as_array`).
    pub report_tally: Vec<i64>,
    /// The number of the last post the viewer has read, if they opened the thread before.
    pub read_number: Option<i32>,
    /// The viewer's draft reply (`forum::drafts`).
    pub draft_body: Option<String>,
}

pub async fn thread_head(
    db: &PgPool,
    thread_id: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Option<ThreadHead>> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT th.*, {} AS watch_level,
                    (SELECT rd.last_read_number FROM thread_reads rd
                      WHERE rd.user_id = $2 AND rd.thread_id = th.id) AS read_number,
                    (SELECT dr.body FROM drafts dr
                      WHERE dr.user_id = $2 AND dr.thread_id = th.id) AS draft_body,
                    {} AS reports, {} AS report_tally
               FROM ({} WHERE t.id = $1) th",
            forum::queries::watch_level("th", "$2"),
            integrate::queries::reports_on_thread_as_json("th.id"),
            integrate::queries::thread_tally_as_array("th.id"),
            forum::queries::THREAD,
        )
    });
    sqlx::query_as(&STATEMENT)
        .bind(thread_id)
        .bind(viewer)
        .fetch_optional(db)
        .await
}

/// The viewer's marks on one post of the page.
#[derive(sqlx::FromRow)]
pub struct PostMarks {
    /// The repertoire entry this post was promoted to (Educate).
    pub entry_id: Option<i64>,
    /// Bookmarked by the viewer (Support).
    pub bookmarked: bool,
    /// The kinds of reaction the viewer gave it (Encourage).
    pub reacted: Vec<String>,
    /// Flagged by the viewer, not yet reviewed (moderation).
    pub flagged: bool,
    /// The post's poll, as the viewer sees it.
    pub poll: Option<Json<Poll>>,
}

/// A post of the page with the viewer's marks on it.
pub struct MarkedPost {
    pub post: Arc<Post>,
    pub marks: PostMarks,
}

/// Which version of a page's posts a statement read (`pages::cached_posts`): the thread's
/// `posts_version` and `post_authors_version` (migration 60), read in the statement's own
/// snapshot, so they describe exactly the posts it returned.
#[derive(sqlx::FromRow, Clone, Copy, PartialEq, Eq, Debug)]
pub struct Stamp {
    pub thread_version: i64,
    pub authors_version: i64,
}

/// A row of `marked_posts`.
#[derive(sqlx::FromRow)]
pub struct PostRow {
    #[sqlx(flatten)]
    pub post: Post,
    #[sqlx(flatten)]
    pub marks: PostMarks,
    #[sqlx(flatten)]
    pub stamp: Stamp,
}

/// A row of `marks_of`.
#[derive(sqlx::FromRow)]
pub struct MarksRow {
    pub post_id: i64,
    #[sqlx(flatten)]
    pub marks: PostMarks,
    #[sqlx(flatten)]
    pub stamp: Stamp,
}

/// A statement reading the marks of viewer `$3` on the posts of the CTE `page` (their `id`s,
/// all in thread `$1`), which `page_ctes` define; each row is `columns`, the marks and the
/// stamp, in `order`. `marked_posts` and `marks_of` differ only in how they find the page.
///
/// The marks are looked up for the whole page at once, not with a subquery per post and mark:
/// at a million posts the statement took 0.89–0.91 ms for a member (0.43–0.54 for a visitor),
/// and 0.61–0.68 ms with the marks read together. The viewer's reactions and bookmarks are read
/// as one range, from the smallest of the page's post ids to the largest, of indexes that start
/// with the member; marks on other threads' posts in that range match no row of the page, and
/// the range is narrow because a thread's posts take ids in the order of their numbers. Looking
/// each id up (`= ANY` the page's ids) took two buffers a post for each: at a million posts the
/// statement took 1.14–1.20 ms for a member, and 0.45–0.55 ms read by range. The repertoire
/// entries made from the page's posts are looked for among the thread's own (an entry keeps
/// the thread and the post it came from).
fn marks_sql(page_ctes: &str, columns: &str, order: &str) -> String {
    format!(
        "WITH {page_ctes},
              entries AS MATERIALIZED (
                  SELECT e.source_post_id, min(e.id) AS entry_id FROM repertoire_entries e
                   WHERE e.source_thread_id = $1
                     AND e.source_post_id = ANY (ARRAY(SELECT id FROM page))
                   GROUP BY e.source_post_id),
              reacted AS MATERIALIZED (
                  SELECT r.post_id, array_agg(r.kind) AS kinds FROM reactions r
                   WHERE r.user_id = $3
                     AND r.post_id BETWEEN (SELECT min(id) FROM page) AND (SELECT max(id) FROM page)
                   GROUP BY r.post_id)
         SELECT {columns}, entries.entry_id,
                page.id = ANY (ARRAY(
                    SELECT b.post_id FROM bookmarks b
                     WHERE b.user_id = $3
                       AND b.post_id BETWEEN (SELECT min(id) FROM page) AND (SELECT max(id) FROM page)
                )) AS bookmarked,
                coalesce(reacted.kinds, '{{}}') AS reacted,
                page.id = ANY (ARRAY(
                    SELECT f.post_id FROM flags f
                     WHERE f.flagger_id = $3 AND f.resolved_at IS NULL
                       AND f.post_id = ANY (ARRAY(SELECT id FROM page))
                )) AS flagged,
                CASE WHEN page.id = ANY (ARRAY(
                         SELECT pl.post_id FROM polls pl WHERE pl.post_id = ANY (ARRAY(SELECT id FROM page))
                     )) THEN {poll} END AS poll,
                coalesce((SELECT th.posts_version FROM threads th WHERE th.id = $1), -1)
                    AS thread_version,
                (SELECT v.version FROM post_authors_version v) AS authors_version
           FROM page
           LEFT JOIN entries ON entries.source_post_id = page.id
           LEFT JOIN reacted ON reacted.post_id = page.id
          ORDER BY {order}",
        poll = forum::polls::poll_as_json("page.id", "$3"),
    )
}

/// The page holding post `from` (the first page without one; no rows for a post of another
/// thread), and the first post of the next page to tell whether one follows, each with its
/// marks, in one statement. It needs only the thread's id, so the handler runs it beside
/// `thread_head`; for a thread the viewer may not read, its rows are thrown away.
///
/// The page is a range of post numbers as well as "the first 51 from here": with the limit
/// alone, the one plan PostgreSQL keeps for the statement (made for a thread of average length)
/// read all 5 001 posts of a long thread and sorted them, 15.6 ms. The range makes PostgreSQL
/// expect one post, so it gathered the marks again for each post of the page (1.3–1.4 ms for a
/// 50-reply thread's page, one client, small scale): they are gathered once (`MATERIALIZED`).
/// With both, 0.73–1.04 ms, and 0.53–0.82 ms for the long thread's first page
/// (`docs/performance.md`, thirteenth session).
pub async fn marked_posts(
    db: &PgPool,
    thread_id: i64,
    from: Option<i64>,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<PostRow>> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        let page = format!(
            "start AS (
                 SELECT CASE WHEN $2::bigint IS NULL THEN 1
                     ELSE (SELECT {start} FROM posts f WHERE f.id = $2 AND f.thread_id = $1)
                 END AS number),
             page AS ({post} WHERE p.thread_id = $1
                 AND p.number >= (SELECT number FROM start)
                 AND p.number < (SELECT number FROM start) + {limit}
                 ORDER BY p.number LIMIT {limit})",
            post = forum::queries::post_select(),
            start = forum::queries::page_start_number("f"),
            limit = POSTS_PER_PAGE + 1
        );
        marks_sql(&page, "page.*", "page.number")
    });
    sqlx::query_as(&STATEMENT)
        .bind(thread_id)
        .bind(from)
        .bind(viewer)
        .fetch_all(db)
        .await
}

/// The viewer's marks on posts `ids` of thread `thread_id`, a row for each in their order: a
/// page whose posts are kept in the process (`pages::cached_posts`) reads only these, in
/// 0.15–0.19 ms at a million posts against 0.59–0.72 ms for `marked_posts` (one client, a
/// member on a 47-post thread; `docs/performance.md`, twenty-sixth session).
pub async fn marks_of(
    db: &PgPool,
    thread_id: i64,
    ids: &[i64],
    viewer: Option<i64>,
) -> sqlx::Result<Vec<MarksRow>> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        marks_sql(
            "page AS (SELECT u.id, u.place FROM unnest($2::bigint[]) WITH ORDINALITY AS u (id, place))",
            "page.id AS post_id",
            "page.place",
        )
    });
    sqlx::query_as(&STATEMENT)
        .bind(thread_id)
        .bind(ids)
        .bind(viewer)
        .fetch_all(db)
        .await
}

/// What became of a reply's form (`post_reply`).
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Written; the member is sent here (the new post).
    Written(String),
    /// The form was sent before: nothing was written again.
    Repeat,
    /// The thread was locked while the member wrote: nothing was written.
    Locked,
}

/// Writes a reply and what follows it in one statement, which commits on its own: the form's
/// key is recorded with where it leads (`web::submission`), the members the reply concerns are
/// notified (`support::notify`), the author's draft of it is discarded (`forum::drafts`), the
/// thread is tracked for them (`forum::watching`) and read up to the reply (`forum::reading`).
/// Nothing is written if the thread is locked (`forum::queries::insert_reply_sql`) or the key
/// was sent before.
///
/// One statement rather than a transaction of four: every other reply to the thread waits for
/// this one's row lock until it commits, which is now at the end of this round trip rather than
/// two round trips later, and a reply takes three round trips in all instead of six.
pub async fn post_reply(
    db: &PgPool,
    thread_id: i64,
    author_id: i64,
    body_md: &str,
    (body_html, mentioned): (String, Vec<i64>),
    key: &SubmissionKey,
) -> sqlx::Result<Reply> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        let post = "(SELECT id FROM written)";
        let thread = "(SELECT thread_id FROM written)";
        let target = "(SELECT '/p/' || id FROM written)";
        let unsent = submission::unsent_sql("$2", "$6");
        format!(
            "WITH written AS ({insert}),
                  recorded AS ({record}),
                  discarded AS ({discard}),
                  tracked AS ({track}),
                  notified AS ({notify}),
                  marked AS ({mark})
             SELECT {target}, NOT {unsent}",
            insert = forum::queries::insert_reply_sql(&unsent),
            record = submission::record_sql("$2", "$6", target),
            discard = forum::drafts::discard_sql("$2", thread, "NULL::bigint"),
            track = forum::watching::replied_sql("$2", thread),
            notify = support::notify::post_written_sql(post, thread, "$2", "true", "$5"),
            mark = forum::reading::mark_written_sql(
                "$2",
                thread,
                "(SELECT number FROM written)",
                post
            ),
        )
    });
    let outcome: sqlx::Result<(Option<String>, bool)> = sqlx::query_as(&STATEMENT)
        .bind(thread_id)
        .bind(author_id)
        .bind(body_md)
        .bind(body_html)
        .bind(mentioned)
        .bind(key.as_str())
        .fetch_one(db)
        .await;
    match outcome {
        Ok((Some(target), _)) => Ok(Reply::Written(target)),
        Ok((None, true)) => Ok(Reply::Repeat),
        Ok((None, false)) => Ok(Reply::Locked),
        Err(err) if submission::is_repeat(&err) => Ok(Reply::Repeat),
        Err(err) => Err(err),
    }
}

/// What follows a new thread's opening post, in one statement: the members it concerns are
/// notified, the author has read it, their draft of it is discarded and the form's key points
/// to `target`.
pub async fn thread_started(
    tx: &mut PgConnection,
    written: &PostWritten,
    domain_id: i64,
    key: &SubmissionKey,
    target: &str,
) -> sqlx::Result<()> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH notified AS ({notify}),
                  marked AS ({mark}),
                  discarded AS ({discard}),
                  completed AS ({complete})
             SELECT",
            notify = support::notify::post_written_sql("$1", "$2", "$3", "$4", "$5"),
            mark = forum::reading::mark_written_sql("$3", "$2", "$6", "$1"),
            discard = forum::drafts::discard_sql("$3", "NULL::bigint", "$7"),
            complete = submission::complete_sql("$3", "$8", "$9"),
        )
    });
    sqlx::query(&STATEMENT)
        .bind(written.post_id)
        .bind(written.thread_id)
        .bind(written.author_id)
        .bind(written.is_reply)
        .bind(&written.mentioned)
        .bind(written.number)
        .bind(domain_id)
        .bind(key.as_str())
        .bind(target)
        .execute(tx)
        .await
        .map(|_| ())
}

impl PageMarks {
    /// Gathers the per-post marks of a page, and the viewer's level on the thread, for the
    /// template.
    pub fn gather(watch_level: Option<Level>, posts: &[MarkedPost]) -> PageMarks {
        let mut marks = PageMarks {
            watch_level,
            ..PageMarks::default()
        };
        for MarkedPost {
            post,
            marks: marked,
        } in posts
        {
            let id = post.id;
            if let Some(entry) = marked.entry_id {
                marks.promoted_posts.push(id);
                marks.promoted_entries.push(entry);
            }
            if marked.bookmarked {
                marks.bookmarked.push(id);
            }
            if marked.flagged {
                marks.flagged.push(id);
            }
            if let Some(Json(poll)) = &marked.poll {
                marks.polls.push((id, poll.clone()));
            }
            marks
                .reacted
                .extend(marked.reacted.iter().map(|kind| format!("{id}:{kind}")));
        }
        marks
    }
}

#[cfg(test)]
mod tests {
    use super::PageMarks;

    #[test]
    fn entry_for_never_panics_on_uneven_arrays() {
        let marks = PageMarks {
            promoted_posts: vec![7, 9],
            promoted_entries: vec![70],
            ..PageMarks::default()
        };
        assert_eq!(marks.entry_for(&7), Some(70));
        assert_eq!(marks.entry_for(&9), None);
        assert_eq!(marks.entry_for(&8), None);
    }
}
