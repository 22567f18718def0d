//! Unread and new, as Discourse has them. Each member has one row per thread they opened or
//! wrote in (`thread_reads`): the number of the last post they read. A thread's posts are
//! numbered in order (`posts.number`), so "N new" is the thread's highest number less that
//! one. A thread nobody opened is "new" to a member when it was started since their previous
//! visit.
//!
//! The "Unread" and "New" views (of the home page, across the member's domains, and of one
//! domain) and their "dismiss" share one filter each, so a list, its count and its dismissal
//! can never disagree.
//!
//! A read mark is `behind` unless it has read the thread's last post, so Unread looks only at
//! the marks that may have something unread rather than at every thread a member ever read. A
//! new post flags the marks it leaves behind (the `posts_written` trigger); every statement
//! here that writes a mark says whether it is behind, from the thread's count as it stands.

use std::sync::LazyLock;

use serde::Deserialize;
use sqlx::{PgExecutor, PgPool};

use super::queries::{
    not_muted, viewer_marks, watch_level, with_marks, Cursor, ThreadSummary, LATEST_FIRST,
    THREADS_PER_PAGE, THREAD_SUMMARY,
};
use crate::error::Result;

/// Which threads a list shows, from its `view` query parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// Every thread, newest activity first.
    #[default]
    Latest,
    Unread,
    New,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::Latest => "latest",
            View::Unread => "unread",
            View::New => "new",
        }
    }

    /// The view that follows a member's reading, if this is one.
    pub fn tracked(self) -> Option<Tracked> {
        match self {
            View::Latest => None,
            View::Unread => Some(Tracked::Unread),
            View::New => Some(Tracked::New),
        }
    }
}

/// A view that follows what a member has read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tracked {
    /// Threads the member opened that have posts they have not read.
    Unread,
    /// Threads started since the member's previous visit that they have not opened.
    New,
}

impl Tracked {
    pub fn as_str(self) -> &'static str {
        match self {
            Tracked::Unread => "unread",
            Tracked::New => "new",
        }
    }
}

/// `?view=…&before=…` on the home and domain pages.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub view: View,
    pub before: Option<String>,
}

impl ListQuery {
    /// Where the page starts: none for the first page.
    pub fn cursor(&self) -> Result<Option<Cursor>> {
        Cursor::from_link(self.before.as_deref())
    }
}

/// The next page's cursor of a full page of threads.
pub fn older(threads: &[ThreadSummary]) -> Option<String> {
    Cursor::after_page(threads, THREADS_PER_PAGE, |t| Cursor {
        at: t.last_posted_at,
        id: t.id,
    })
}

/// The Latest, Unread and New tabs above a member's list, with the dismiss button of the view
/// shown when it is a tracked one.
#[derive(Debug)]
pub struct Tabs {
    /// The list's own address: `/` or `/d/{slug}`.
    pub base: String,
    pub view: View,
    pub counts: Counts,
    /// The domain's slug for a domain's list, sent with "dismiss".
    pub domain: Option<String>,
}

impl Tabs {
    pub fn is_current(&self, view: &str) -> bool {
        self.view.as_str() == view
    }

    /// The tracked view shown, if it has anything to dismiss.
    pub fn dismissable(&self) -> Option<Tracked> {
        self.view.tracked().filter(|tracked| match tracked {
            Tracked::Unread => self.counts.unread > 0,
            Tracked::New => self.counts.new > 0,
        })
    }
}

/// Where a view looks: the home page's (every readable domain for Unread; the member's own
/// domains for New), or one domain the caller has already checked the member may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Home,
    Domain(i64),
}

impl Scope {
    fn domain_id(self) -> Option<i64> {
        match self {
            Scope::Home => None,
            Scope::Domain(id) => Some(id),
        }
    }
}

/// The condition on `threads t` (with the member's marks, `queries::viewer_marks`) for a view:
/// `$1` is the member, `$2` the domain of a domain's view. Threads the member muted, or set to
/// normal, count nothing unread; muted ones are not new either (on a muted domain's own page
/// its threads still are).
fn filter(view: Tracked, scope: Scope) -> String {
    let level = watch_level("t", "$1");
    let not_muted = not_muted("$1");
    let place = match scope {
        Scope::Domain(_) => "t.domain_id = $2".to_string(),
        Scope::Home => match view {
            Tracked::Unread => "t.domain_id IN (SELECT id FROM readable_domains($1))".to_string(),
            Tracked::New => "t.domain_id IN (SELECT r.id FROM readable_domains($1) r
                                 JOIN memberships m ON m.domain_id = r.id AND m.user_id = $1)"
                .to_string(),
        },
    };
    match (view, scope) {
        (Tracked::Unread, _) => format!(
            "rd.behind AND t.reply_count + 1 > rd.last_read_number AND NOT t.hidden
             AND {level} NOT IN ('normal', 'muted') AND {place}"
        ),
        (Tracked::New, Scope::Home) => format!(
            "rd.user_id IS NULL AND NOT t.hidden AND t.author_id <> $1
             AND t.created_at > (SELECT new_since($1)) AND {level} <> 'muted' AND {place}"
        ),
        (Tracked::New, Scope::Domain(_)) => format!(
            "rd.user_id IS NULL AND NOT t.hidden AND t.author_id <> $1
             AND t.created_at > (SELECT new_since($1)) AND {not_muted} AND {place}"
        ),
    }
}

/// One page of an Unread or New view, newest activity first, after `before`: the view's
/// threads are chosen first, by id, then listed (`queries::with_marks`).
pub async fn threads(
    db: &PgPool,
    user_id: i64,
    view: Tracked,
    scope: Scope,
    before: Option<Cursor>,
) -> sqlx::Result<Vec<ThreadSummary>> {
    let list = format!(
        "{THREAD_SUMMARY}
          WHERE t.id IN (
              SELECT t.id FROM threads t {marks}
               WHERE {filter}
                 AND ($3::timestamptz IS NULL OR (t.last_posted_at, t.id) < ($3, $4))
               ORDER BY t.last_posted_at DESC, t.id DESC
               LIMIT {THREADS_PER_PAGE})",
        marks = viewer_marks("$1"),
        filter = filter(view, scope),
    );
    sqlx::query_as(&with_marks(&list, "$1", LATEST_FIRST))
        .bind(user_id)
        .bind(scope.domain_id())
        .bind(before.map(|c| c.at))
        .bind(before.map(|c| c.id))
        .fetch_all(db)
        .await
}

/// How many threads the Unread and New views hold, for their tabs, in one statement; each
/// counted up to `COUNTED_UP_TO`, past which a tab says "99+".
#[derive(Clone, Copy, Debug, Default, sqlx::FromRow)]
pub struct Counts {
    pub unread: i64,
    pub new: i64,
}

/// A count stops here: a member back after months should not wait for thousands to be counted.
pub const COUNTED_UP_TO: i64 = 100;

impl Counts {
    pub fn unread_shown(&self) -> Option<String> {
        shown(self.unread)
    }

    pub fn new_shown(&self) -> Option<String> {
        shown(self.new)
    }
}

/// A tab's count as shown: none for nothing, "99+" past what is counted, as the header's.
fn shown(n: i64) -> Option<String> {
    (n > 0).then(|| crate::web::page::unread_label(n))
}

/// For `AppState::generic_db`: one plan per scope, not planned again on every call (1.1–1.9 ms
/// of planning for 0.6–0.9 ms of work at a million posts).
pub async fn counts(db: &PgPool, user_id: i64, scope: Scope) -> sqlx::Result<Counts> {
    // In one domain, the newest threads first: without an order, the generic plan fetched
    // every thread since the member's "new since" through a bitmap (37 886 index entries, 17
    // ms, in the big domain at a million posts) to count the first 100; in order it stops there.
    let newest_first = match scope {
        Scope::Domain(_) => "ORDER BY t.created_at DESC",
        Scope::Home => "",
    };
    sqlx::query_as(&format!(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM threads t {marks} WHERE {}
                                        LIMIT {COUNTED_UP_TO}) u) AS unread,
                (SELECT count(*) FROM (SELECT 1 FROM threads t {marks} WHERE {}
                                        {newest_first} LIMIT {COUNTED_UP_TO}) n) AS new",
        filter(Tracked::Unread, scope),
        filter(Tracked::New, scope),
        marks = viewer_marks("$1"),
    ))
    .bind(user_id)
    .bind(scope.domain_id())
    .fetch_one(db)
    .await
}

/// "Dismiss": every thread of the view (not only the page shown) is read to its last post.
/// Returns how many threads that was. Each thread's count and last post are read as the
/// statement's snapshot has them, so a reply written meanwhile stays unread (`behind_sql`).
pub async fn dismiss(db: &PgPool, user_id: i64, view: Tracked, scope: Scope) -> sqlx::Result<u64> {
    let done = sqlx::query(&format!(
        "INSERT INTO thread_reads (user_id, thread_id, last_read_number, last_read_post_id, behind)
         SELECT $1, t.id, t.reply_count + 1,
                (SELECT max(p.id) FROM posts p WHERE p.thread_id = t.id), {behind}
           FROM threads t {marks}
          WHERE {filter}
         ON CONFLICT (user_id, thread_id) DO UPDATE
            SET last_read_number = greatest(thread_reads.last_read_number, EXCLUDED.last_read_number),
                last_read_post_id = greatest(thread_reads.last_read_post_id, EXCLUDED.last_read_post_id),
                read_at = now(),
                behind = EXCLUDED.behind",
        behind = behind_sql("t.reply_count + 1"),
        marks = viewer_marks("$1"),
        filter = filter(view, scope),
    ))
    .bind(user_id)
    .bind(scope.domain_id())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Whether the post numbered `number` is the first a member had not read, when they had read
/// up to `read_number` (0: nothing yet, so nothing is marked). Threads and conversations alike.
pub fn is_first_unread(read_number: i64, number: i64) -> bool {
    read_number > 0 && number == read_number + 1
}

/// Set by the script on a browser that reports the posts a member scrolls past
/// (`POST /t/{id}/read`): there, opening a page no longer counts as reading all of it.
pub const SCROLL_COOKIE: &str = "commonplace_reads";

pub fn reads_by_scrolling(headers: &axum::http::HeaderMap) -> bool {
    crate::web::page::cookie(headers, SCROLL_COOKIE) == Some("scroll")
}

/// The number of a post in its thread (its position), if the post is in that thread.
pub async fn number_of(db: &PgPool, thread_id: i64, post_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT number::bigint FROM posts WHERE id = $2 AND thread_id = $1")
        .bind(thread_id)
        .bind(post_id)
        .fetch_optional(db)
        .await
}

/// Whether a mark of thread `t` read up to post number `number` (SQL) is behind: where the
/// statement's snapshot says it reaches the last post, the thread's row is read again under a
/// share lock. A reply that committed since the snapshot is then seen, and one still writing
/// is waited for; one that comes later waits for the mark and flags it. Without the lock, a
/// reply committing in between would find the mark still behind from before, leave it, and
/// the mark would then be cleared past it. (Where a mark that was further on is kept, this
/// can only say behind when it is not, which the counts' comparison corrects.)
fn behind_sql(number: &str) -> String {
    format!(
        "CASE WHEN {number} < t.reply_count + 1 THEN true
              ELSE {number} < (SELECT l.reply_count + 1 FROM threads l WHERE l.id = t.id
                                  FOR SHARE)
         END"
    )
}

/// A page view: the member has read up to post `post_id`, number `number`. A read mark never
/// moves back (an earlier page opened again leaves it where it was).
pub async fn mark_read(
    db: impl PgExecutor<'_>,
    user_id: i64,
    thread_id: i64,
    number: i64,
    post_id: i64,
) -> sqlx::Result<()> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO thread_reads
                    (user_id, thread_id, last_read_number, last_read_post_id, behind)
             SELECT $1, t.id, $3, $4, {behind} FROM threads t WHERE t.id = $2
             ON CONFLICT (user_id, thread_id) DO UPDATE
                SET last_read_number = EXCLUDED.last_read_number,
                    last_read_post_id = EXCLUDED.last_read_post_id,
                    read_at = now(),
                    behind = EXCLUDED.behind
              WHERE thread_reads.last_read_number < EXCLUDED.last_read_number",
            behind = behind_sql("$3"),
        )
    });
    sqlx::query(&STATEMENT)
        .bind(user_id)
        .bind(thread_id)
        .bind(i32::try_from(number).unwrap_or(i32::MAX))
        .bind(post_id)
        .execute(db)
        .await?;
    Ok(())
}

/// A member's own new post is read by them, as is everything before it they had read: the
/// statement over SQL expressions for the member, the thread, and the post's number and id, so
/// a page can run it in the transaction that writes the post. Where `thread` is NULL (nothing
/// was written), nothing is marked. The mark is not behind: the post was numbered under the
/// thread's row lock, held until it commits, so it is the thread's last, and the next post's
/// trigger, waiting for that lock, flags the mark.
pub fn mark_written_sql(user: &str, thread: &str, number: &str, post: &str) -> String {
    format!(
        "INSERT INTO thread_reads (user_id, thread_id, last_read_number, last_read_post_id, behind)
         SELECT {user}, t.id, {number}, {post}, false FROM threads t WHERE t.id = {thread}
         ON CONFLICT (user_id, thread_id) DO UPDATE
            SET last_read_number = greatest(thread_reads.last_read_number, EXCLUDED.last_read_number),
                last_read_post_id = greatest(thread_reads.last_read_post_id, EXCLUDED.last_read_post_id),
                read_at = now(),
                behind = false"
    )
}

/// The first post a member has not read in a thread they opened before.
pub async fn first_unread(db: &PgPool, user_id: i64, thread_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT min(p.id) FROM thread_reads rd
           JOIN posts p ON p.thread_id = rd.thread_id AND p.id > rd.last_read_post_id
          WHERE rd.user_id = $1 AND rd.thread_id = $2",
    )
    .bind(user_id)
    .bind(thread_id)
    .fetch_one(db)
    .await
}
