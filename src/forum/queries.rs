//! SQL for domains and thread lists. Every list is one query; counts come from counters kept on
//! write; thread lists walk `threads_domain_latest_idx` by keyset.

use sqlx::{PgPool, Postgres, Transaction};
use time::OffsetDateTime;

use super::access::Access;
use crate::web::CurrentUser;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct DomainSummary {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub charter_md: String,
    pub visibility: String,
    pub member_count: i32,
    pub thread_count: i32,
    pub last_activity_at: Option<OffsetDateTime>,
    pub is_member: bool,
}

/// Domains this viewer may see: every public one, private ones they belong to, and for admins
/// every one.
pub async fn visible_domains(
    db: &PgPool,
    viewer: Option<&CurrentUser>,
) -> sqlx::Result<Vec<DomainSummary>> {
    visible_domains_for(db, viewer.map(|u| u.id)).await
}

/// The same for a viewer known by id alone (`auth::Arrival::read_beside`).
pub async fn visible_domains_for(
    db: &PgPool,
    viewer_id: Option<i64>,
) -> sqlx::Result<Vec<DomainSummary>> {
    sqlx::query_as(
        "SELECT d.id, d.slug, d.name, d.charter_md, d.visibility, d.member_count, d.thread_count,
                d.last_activity_at,
                EXISTS (SELECT 1 FROM memberships m WHERE m.domain_id = d.id AND m.user_id = $1) AS is_member
           FROM readable_domains($1) d
          ORDER BY d.last_activity_at DESC NULLS LAST, d.name",
    )
    .bind(viewer_id)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Domain {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub charter_html: String,
    pub practice_focus: String,
    pub audience: String,
    pub visibility: String,
    pub member_count: i32,
    pub thread_count: i32,
    #[sqlx(flatten)]
    pub standing: Standing,
}

/// Where the viewer stands in the domain of what a query loaded, from the same row.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Standing {
    /// `domain_readable(id, viewer)`: the one visibility rule, evaluated by the database.
    pub viewer_can_read: bool,
    /// `member` or `facilitator` for the viewer, if they belong.
    pub viewer_role: Option<String>,
    pub viewer_banned_until: Option<OffsetDateTime>,
}

impl Standing {
    pub fn access(&self, viewer: Option<&CurrentUser>) -> Access {
        Access::new(
            viewer,
            self.viewer_can_read,
            self.viewer_role.as_deref(),
            self.viewer_banned_until,
        )
    }
}

impl Domain {
    pub fn access(&self, viewer: Option<&CurrentUser>) -> Access {
        self.standing.access(viewer)
    }
}

/// The select behind every `Domain`; its `$2` is the viewer's id (or NULL).
pub(crate) const DOMAIN: &str = "
    SELECT d.id, d.slug, d.name, d.charter_html, d.practice_focus, d.audience, d.visibility,
           d.member_count, d.thread_count, domain_readable(d.id, $2) AS viewer_can_read,
           m.role AS viewer_role, m.banned_until AS viewer_banned_until
      FROM domains d
      LEFT JOIN memberships m ON m.domain_id = d.id AND m.user_id = $2";

/// A domain by slug with the viewer's membership. Callers check `access()`: a private or
/// archived domain must answer 404 to outsiders, exactly like a missing one (`forum::lookup`
/// does both).
pub async fn domain_by_slug(
    db: &PgPool,
    slug: &str,
    viewer: Option<&CurrentUser>,
) -> sqlx::Result<Option<Domain>> {
    domain_by_slug_for(db, slug, viewer.map(|u| u.id)).await
}

/// The same for a viewer known by id alone (`auth::Arrival::read_beside`).
pub async fn domain_by_slug_for(
    db: &PgPool,
    slug: &str,
    viewer_id: Option<i64>,
) -> sqlx::Result<Option<Domain>> {
    sqlx::query_as(&format!("{DOMAIN} WHERE d.slug = $1"))
        .bind(slug)
        .bind(viewer_id)
        .fetch_optional(db)
        .await
}

/// The same, by id: for content that knows its domain's id (entries, events, reports).
pub async fn domain_by_id(
    db: &PgPool,
    id: i64,
    viewer: Option<&CurrentUser>,
) -> sqlx::Result<Option<Domain>> {
    sqlx::query_as(&format!("{DOMAIN} WHERE d.id = $1"))
        .bind(id)
        .bind(viewer.map(|u| u.id))
        .fetch_optional(db)
        .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ThreadSummary {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub pinned: bool,
    pub locked: bool,
    pub solved: bool,
    pub reply_count: i32,
    pub last_posted_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub author_username: String,
    pub author_name: String,
    /// Who wrote the latest reply; none before the first reply.
    pub last_poster_username: Option<String>,
    pub last_poster_name: Option<String>,
    pub domain_slug: String,
    pub domain_name: String,
    pub tags: Vec<String>,
    /// Posts the viewer has not read in a thread they opened.
    pub unread: i32,
    /// Started since the viewer's last visit by someone else, and not opened yet.
    pub is_new: bool,
}

impl ThreadSummary {
    /// Where the list links: a thread with unread posts opens at the first of them.
    pub fn href(&self) -> String {
        match self.unread {
            0 => format!("/t/{}", self.id),
            _ => format!("/t/{}/unread", self.id),
        }
    }

    /// Who posted last: the latest replier, or the author of a thread without replies.
    pub fn last_poster(&self) -> (&str, &str) {
        match (&self.last_poster_username, &self.last_poster_name) {
            (Some(username), Some(name)) => (username, name),
            _ => (&self.author_username, &self.author_name),
        }
    }
}

/// Where a page of a thread list starts: just after this (last_posted_at, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub at: OffsetDateTime,
    pub id: i64,
}

impl Cursor {
    /// `<microseconds since 1970>_<id>`: opaque to members, stable in links.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.unix_timestamp_nanos() / 1000, self.id)
    }

    /// A page link's `before`, if any: the 400 page when it is damaged.
    pub fn from_link(raw: Option<&str>) -> crate::error::Result<Option<Self>> {
        match raw {
            Some(raw) => Cursor::parse(raw).map(Some).ok_or_else(|| {
                crate::error::AppError::BadRequest(
                    "That page link is damaged; go back to the first page.".into(),
                )
            }),
            None => Ok(None),
        }
    }

    /// Where the next page starts, after a full page of `rows` (newest first), from the last
    /// row's `(at, id)`; none after a short page.
    pub fn after_page<T>(rows: &[T], per_page: i64, key: impl Fn(&T) -> Cursor) -> Option<String> {
        (rows.len() as i64 == per_page)
            .then(|| rows.last())
            .flatten()
            .map(|last| key(last).encode())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (micros, id) = raw.split_once('_')?;
        let micros: i128 = micros.parse().ok()?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1000)?).ok()?;
        Some(Cursor {
            at,
            id: id.parse().ok()?,
        })
    }
}

pub const THREADS_PER_PAGE: i64 = 30;

/// The select list every thread list shares; callers add their WHERE, ORDER and LIMIT, then
/// wrap the list in `with_marks`.
pub const THREAD_SUMMARY: &str = "
    SELECT t.id, t.title, t.kind, t.pinned, t.locked, t.accepted_post_id IS NOT NULL AS solved,
           t.reply_count, t.last_posted_at, t.created_at, u.username AS author_username,
           u.display_name AS author_name, lp.username AS last_poster_username,
           lp.display_name AS last_poster_name, d.slug AS domain_slug, d.name AS domain_name,
           t.author_id, t.domain_id, t.tags
      FROM threads t
      JOIN users u ON u.id = t.author_id
      LEFT JOIN users lp ON lp.id = t.last_poster_id
      JOIN domains d ON d.id = t.domain_id";

/// A thread list (`list`: a statement selecting `THREAD_SUMMARY`'s columns, with its own order
/// and limit) with the marks of the viewer whose id is the SQL `viewer` (a parameter such as
/// `$5`; NULL for a visitor), in the order `order` (of the list's rows, `s`): how many posts
/// they have not read in a thread they opened (none on a thread they set to normal or muted),
/// and whether a thread they never opened is new since their last visit (`forum::reading`).
///
/// The marks are joined to the few rows the list chose, outside it, so the list is planned as
/// it would be without a viewer: past PostgreSQL's `join_collapse_limit` (8 relations) joins
/// are planned in the order written, and with the marks' three joins inside it a home page
/// joined every thread of the site before choosing 15 (21.5 ms a page at 50 000 posts).
///
/// `OFFSET 0` keeps the level and the read mark computed once a row: pulled up into the outer
/// select, each was looked up again wherever it is named (three times for the read mark, 1.8
/// against 0.8 ms for a member's domain page at a million posts).
pub fn with_marks(list: &str, viewer: &str, order: &str) -> String {
    let level = watch_level("s", viewer);
    format!(
        "SELECT s.*,
                CASE WHEN s.level IN ('normal', 'muted') THEN 0
                     ELSE coalesce(greatest(s.reply_count + 1 - s.read_number, 0), 0)
                END AS unread,
                coalesce({viewer}::bigint IS NOT NULL AND s.read_number IS NULL
                         AND s.author_id <> {viewer}::bigint AND s.level <> 'muted'
                         AND s.created_at > (SELECT new_since({viewer}::bigint)), false) AS is_new
           FROM (SELECT s.*, {level} AS level,
                        (SELECT rd.last_read_number FROM thread_reads rd
                          WHERE rd.user_id = {viewer}::bigint AND rd.thread_id = s.id) AS read_number
                   FROM ({list}) s OFFSET 0) s
          ORDER BY {order}"
    )
}

/// The newest activity first: the order of most thread lists, for `with_marks`.
pub const LATEST_FIRST: &str = "s.last_posted_at DESC, s.id DESC";

/// How far the viewer (SQL) read each thread `t` (`rd`), for the conditions of
/// `forum::reading`'s views.
pub fn viewer_marks(viewer: &str) -> String {
    format!("LEFT JOIN thread_reads rd ON rd.user_id = {viewer}::bigint AND rd.thread_id = t.id")
}

/// The viewer's (SQL) watching level on each thread of the alias `t` (`forum::watching`). Sub-
/// selects rather than joins: evaluated only for the rows a list reaches, and no more
/// relations for the planner to order. `domain` false leaves the domain's level out, for the
/// lists that decide about muted domains themselves.
fn level_of(t: &str, viewer: &str, domain: bool) -> String {
    let domain_level = if domain {
        format!(
            "(SELECT dw.level FROM domain_watches dw
               WHERE dw.domain_id = {t}.domain_id AND dw.user_id = {viewer}::bigint)"
        )
    } else {
        "NULL".to_string()
    };
    format!(
        "effective_watch_level(
             (SELECT tw.level FROM thread_watches tw
               WHERE tw.thread_id = {t}.id AND tw.user_id = {viewer}::bigint),
             {t}.author_id = {viewer}::bigint,
             {tag_level},
             {domain_level})",
        tag_level = tag_level(t, viewer),
    )
}

/// The viewer's (SQL) level from the tags of thread `t`; no lookup for a thread without tags.
fn tag_level(t: &str, viewer: &str) -> String {
    format!(
        "CASE WHEN cardinality({t}.tags) > 0 THEN tag_watch_level({viewer}::bigint, {t}.tags) END"
    )
}

/// The viewer's (SQL) level on each thread of the alias `t`, as `effective_watch_level` rules.
pub fn watch_level(t: &str, viewer: &str) -> String {
    level_of(t, viewer, true)
}

/// Leaves out a thread `t` the viewer (SQL) muted, itself or through its tags (a muted
/// domain's own page still lists its threads; the home page leaves muted domains out itself).
pub fn not_muted(viewer: &str) -> String {
    format!("{} IS DISTINCT FROM 'muted'", level_of("t", viewer, false))
}

/// One page of a domain's thread list in one statement: on the first page (no `before`) its
/// pinned threads, then the latest unpinned threads, newest activity first, after `before`.
/// Hidden threads are left out unless the viewer facilitates the domain, and so are threads the
/// viewer muted (a muted domain's own page still lists its threads); `viewer`'s marks come with
/// each.
///
/// Whether the page is the first and whether hidden threads show are written into the SQL, not
/// passed as parameters: each of the four statements then keeps one plan, where a single
/// statement with `$2 IS NULL OR …` was planned again on every call (1.5 ms of 4).
pub async fn domain_threads(
    db: &PgPool,
    domain_id: i64,
    before: Option<Cursor>,
    include_hidden: bool,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<ThreadSummary>> {
    let not_muted = not_muted("$4");
    let shown = match include_hidden {
        true => "",
        false => "AND NOT t.hidden",
    };
    let unpinned = |after: &str| {
        format!(
            "({THREAD_SUMMARY}
               WHERE t.domain_id = $1 AND NOT t.pinned {shown} {after} AND {not_muted}
               ORDER BY t.last_posted_at DESC, t.id DESC
               LIMIT {THREADS_PER_PAGE})"
        )
    };
    let list = match before {
        None => format!(
            "({THREAD_SUMMARY}
               WHERE t.domain_id = $1 AND t.pinned {shown} AND {not_muted}
               ORDER BY t.last_posted_at DESC, t.id DESC)
             UNION ALL
             {}",
            // Unused on the first page; bound so every variant takes the same parameters.
            unpinned("AND $2::timestamptz IS NULL AND $3::bigint IS NULL")
        ),
        Some(_) => unpinned("AND (t.last_posted_at, t.id) < ($2, $3)"),
    };
    // Pinned first, as the list has them; each part newest first.
    sqlx::query_as(&with_marks(
        &list,
        "$4",
        &format!("s.pinned DESC, {LATEST_FIRST}"),
    ))
    .bind(domain_id)
    .bind(before.map(|c| c.at))
    .bind(before.map(|c| c.id))
    .bind(viewer)
    .fetch_all(db)
    .await
}

/// Threads on a member's home page. A constant in the SQL, not a parameter, so PostgreSQL can
/// keep one plan for the statement rather than plan it again on every call.
pub const RECENT_ON_HOME: i64 = 15;

/// Recent threads across the domains a member belongs to, for their home page: the newest few
/// of each readable domain (one short walk of `threads_domain_latest_idx` per domain), then
/// the newest of those. The cost follows the member's domains, not the site's threads. Muted
/// domains and threads are left out.
pub async fn recent_threads_for_member(
    db: &PgPool,
    user_id: i64,
) -> sqlx::Result<Vec<ThreadSummary>> {
    let list = format!(
        "{THREAD_SUMMARY}
          WHERE t.id IN (
              SELECT recent.id
                FROM memberships m
                JOIN readable_domains($1) rd ON rd.id = m.domain_id
               CROSS JOIN LATERAL (
                   SELECT lt.id FROM threads lt
                    WHERE lt.domain_id = m.domain_id AND NOT lt.hidden
                    ORDER BY lt.last_posted_at DESC, lt.id DESC
                    LIMIT {RECENT_ON_HOME}
               ) recent
               WHERE m.user_id = $1
                 AND (SELECT w.level FROM domain_watches w
                       WHERE w.user_id = $1 AND w.domain_id = m.domain_id) IS DISTINCT FROM 'muted'
          )
            AND {}
          ORDER BY t.last_posted_at DESC, t.id DESC
          LIMIT {RECENT_ON_HOME}",
        not_muted("$1")
    );
    sqlx::query_as(&with_marks(&list, "$1", LATEST_FIRST))
        .bind(user_id)
        .fetch_all(db)
        .await
}

/// Domains (slug, name) this user facilitates — all of them for an admin — except `except`.
pub async fn facilitated_domains(
    db: &PgPool,
    user: &CurrentUser,
    except: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT d.slug, d.name FROM readable_domains($1) d
          WHERE d.id <> $3
            AND ($2 OR EXISTS (SELECT 1 FROM memberships m WHERE m.domain_id = d.id AND m.user_id = $1 AND m.role = 'facilitator'))
          ORDER BY d.name",
    )
    .bind(user.id)
    .bind(user.is_admin)
    .bind(except)
    .fetch_all(db)
    .await
}

/// A thread with its domain and the viewer's membership there, from one query.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Thread {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub pinned: bool,
    pub locked: bool,
    pub hidden: bool,
    pub accepted_post_id: Option<i64>,
    pub reply_count: i32,
    pub created_at: OffsetDateTime,
    pub author_id: i64,
    pub domain_id: i64,
    pub domain_slug: String,
    pub domain_name: String,
    pub domain_visibility: String,
    pub tags: Vec<String>,
    #[sqlx(flatten)]
    pub standing: Standing,
    pub accepted_author: Option<String>,
}

impl Thread {
    pub fn access(&self, viewer: Option<&CurrentUser>) -> Access {
        self.standing.access(viewer)
    }

    /// Readable by this viewer: the domain is, and a hidden thread only for its moderators.
    pub fn readable_by(&self, viewer: Option<&CurrentUser>) -> bool {
        let access = self.access(viewer);
        access.can_read() && (!self.hidden || access.can_moderate())
    }
}

/// The select behind every `Thread`; its `$2` is the viewer's id (or NULL).
pub(crate) const THREAD: &str = "
    SELECT t.id, t.title, t.kind, t.pinned, t.locked, t.hidden, t.accepted_post_id, t.reply_count,
           t.created_at, t.author_id, t.domain_id, d.slug AS domain_slug, d.name AS domain_name,
           d.visibility AS domain_visibility, t.tags, domain_readable(d.id, $2) AS viewer_can_read,
           m.role AS viewer_role, m.banned_until AS viewer_banned_until,
           (SELECT u.display_name FROM posts ap JOIN users u ON u.id = ap.author_id
             WHERE ap.id = t.accepted_post_id) AS accepted_author
      FROM threads t
      JOIN domains d ON d.id = t.domain_id
      LEFT JOIN memberships m ON m.domain_id = d.id AND m.user_id = $2";

pub async fn thread(
    db: &PgPool,
    id: i64,
    viewer: Option<&CurrentUser>,
) -> sqlx::Result<Option<Thread>> {
    thread_for(db, id, viewer.map(|u| u.id)).await
}

/// The same for a viewer known by id alone (`auth::Arrival::read_beside`).
pub async fn thread_for(
    db: &PgPool,
    id: i64,
    viewer_id: Option<i64>,
) -> sqlx::Result<Option<Thread>> {
    sqlx::query_as(&format!("{THREAD} WHERE t.id = $1"))
        .bind(id)
        .bind(viewer_id)
        .fetch_optional(db)
        .await
}

/// The thread a post belongs to, with the viewer's membership, and the post's position.
pub async fn thread_of_post(
    db: &PgPool,
    post_id: i64,
    viewer: Option<&CurrentUser>,
) -> sqlx::Result<Option<Thread>> {
    sqlx::query_as(&format!(
        "{THREAD} JOIN posts p ON p.thread_id = t.id WHERE p.id = $1"
    ))
    .bind(post_id)
    .bind(viewer.map(|u| u.id))
    .fetch_optional(db)
    .await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Post {
    pub id: i64,
    pub thread_id: i64,
    pub author_id: i64,
    pub author_username: String,
    pub author_name: String,
    /// Shown beside the name as badges: a site admin, and the author's role in the domain.
    pub author_is_admin: bool,
    pub author_domain_role: Option<String>,
    /// The author's picture (`uploads`); their initials without one.
    pub author_avatar: Option<i64>,
    pub body_html: String,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
    pub hidden: bool,
    pub hidden_reason: Option<String>,
    pub helpful_count: i32,
    pub thanks_count: i32,
    pub insightful_count: i32,
    /// Moves on with every edit; an edit form carries the version it was opened on.
    pub version: i32,
    /// Its position in the thread, from 1 for the opening post.
    pub number: i32,
}

impl Post {
    /// The post that opened its thread, not a reply.
    pub fn is_opening(&self) -> bool {
        self.number == 1
    }

    pub fn reaction_count(&self, kind: &str) -> i32 {
        match kind {
            "helpful" => self.helpful_count,
            "thanks" => self.thanks_count,
            _ => self.insightful_count,
        }
    }
}

/// The columns of every `Post` (`p` and its author `u`); `POST_FROM` joins them.
const POST_COLUMNS: &str = "
    p.id, p.thread_id, p.author_id, u.username AS author_username,
    u.display_name AS author_name, u.site_role = 'admin' AS author_is_admin,
    author_membership.role AS author_domain_role, u.avatar_upload_id AS author_avatar,
    p.body_html, p.created_at, p.edited_at, p.deleted_at, p.hidden, p.hidden_reason,
    p.helpful_count, p.thanks_count, p.insightful_count, p.version, p.number";

/// The author's role in the post's domain comes from a join, not a subquery per post. The post
/// carries its domain (`posts.domain_id`, moved with its thread by a trigger), so the thread is
/// not read again for each post of a page.
const POST_FROM: &str = "
      FROM posts p
      JOIN users u ON u.id = p.author_id
      LEFT JOIN memberships author_membership
             ON author_membership.domain_id = p.domain_id
            AND author_membership.user_id = p.author_id";

/// The select behind every `Post`, aliased `p`.
pub(crate) fn post_select() -> String {
    format!("SELECT {POST_COLUMNS} {POST_FROM}")
}

/// The newest post of a thread (its id; posts are numbered in the order they are written).
pub async fn last_post_id(db: &PgPool, thread_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT max(id) FROM posts WHERE thread_id = $1")
        .bind(thread_id)
        .fetch_one(db)
        .await
}

/// A post with the Markdown it was written in, for the pages that start from its text: its
/// edit form, a quotation, its history, an excerpt, a repertoire entry made from it. A thread
/// page shows only the rendered HTML, so it reads `Post` alone, without the Markdown.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct PostSource {
    #[sqlx(flatten)]
    pub post: Post,
    pub body_md: String,
}

impl std::ops::Deref for PostSource {
    type Target = Post;

    fn deref(&self) -> &Post {
        &self.post
    }
}

pub async fn post(db: &PgPool, id: i64) -> sqlx::Result<Option<PostSource>> {
    sqlx::query_as(&format!(
        "SELECT {POST_COLUMNS}, p.body_md {POST_FROM} WHERE p.id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Pages of a thread start at every 50th post, so a post's page never changes (posts are never
/// removed, only marked deleted).
pub const POSTS_PER_PAGE: i64 = 50;

/// SQL for the number that starts the page holding the post aliased `post`.
pub fn page_start_number(post: &str) -> String {
    format!("({post}.number - ({post}.number - 1) % {POSTS_PER_PAGE})")
}

/// Where the page holding `post_id` starts, and how many posts come before that start.
pub async fn page_start(
    db: &PgPool,
    thread_id: i64,
    post_id: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as(&format!(
        "SELECT start.id, start.number::bigint - 1
           FROM posts p
           JOIN posts start ON start.thread_id = p.thread_id AND start.number = {}
          WHERE p.id = $2 AND p.thread_id = $1",
        page_start_number("p")
    ))
    .bind(thread_id)
    .bind(post_id)
    .fetch_optional(db)
    .await
}

/// Where the page before the one holding `post_id` starts; `None` on the first page.
pub async fn previous_page_start(
    db: &PgPool,
    thread_id: i64,
    post_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(&format!(
        "SELECT previous.id
           FROM posts p
           JOIN posts previous ON previous.thread_id = p.thread_id
                              AND previous.number = {} - {POSTS_PER_PAGE}
          WHERE p.id = $2 AND p.thread_id = $1",
        page_start_number("p")
    ))
    .bind(thread_id)
    .bind(post_id)
    .fetch_optional(db)
    .await
}

/// What the core reports after writing a post. The caller starts what follows from it
/// (mentions, notifications, and later mail and live events) in the same transaction, so the
/// core knows nothing of the functions built on it.
#[derive(Clone, Debug)]
pub struct PostWritten {
    pub post_id: i64,
    pub thread_id: i64,
    /// Its number in the thread (1 for the opening post).
    pub number: i32,
    pub author_id: i64,
    pub is_reply: bool,
    /// Members whose `@name` the post links.
    pub mentioned: Vec<i64>,
}

/// Creates a thread and its opening post together.
pub async fn create_thread(
    tx: &mut Transaction<'_, Postgres>,
    domain_id: i64,
    author_id: i64,
    title: &str,
    kind: &str,
    tags: &[String],
    body_md: &str,
) -> crate::error::Result<PostWritten> {
    let thread_id: i64 = sqlx::query_scalar(
        "INSERT INTO threads (domain_id, author_id, title, kind, tags) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(domain_id)
    .bind(author_id)
    .bind(title)
    .bind(kind)
    .bind(tags)
    .fetch_one(&mut **tx)
    .await?;
    insert_post(tx, thread_id, author_id, body_md, false).await
}

/// Writes a post, rendering its Markdown with @mentions resolved.
pub async fn insert_post(
    tx: &mut Transaction<'_, Postgres>,
    thread_id: i64,
    author_id: i64,
    body_md: &str,
    is_reply: bool,
) -> crate::error::Result<PostWritten> {
    insert_post_at(tx, thread_id, author_id, body_md, is_reply, None).await
}

/// The same, dated `written_at` instead of now: a community file's history is spread over the
/// past weeks.
pub async fn insert_post_at(
    tx: &mut Transaction<'_, Postgres>,
    thread_id: i64,
    author_id: i64,
    body_md: &str,
    is_reply: bool,
    written_at: Option<OffsetDateTime>,
) -> crate::error::Result<PostWritten> {
    let rendered = render_with_mentions(&mut **tx, body_md).await?;
    insert_rendered(
        tx, thread_id, author_id, body_md, rendered, is_reply, written_at,
    )
    .await
}

async fn insert_rendered(
    tx: &mut Transaction<'_, Postgres>,
    thread_id: i64,
    author_id: i64,
    body_md: &str,
    (body_html, mentioned): (String, Vec<i64>),
    is_reply: bool,
    written_at: Option<OffsetDateTime>,
) -> crate::error::Result<PostWritten> {
    let (post_id, number) = sqlx::query_as(
        "INSERT INTO posts (thread_id, author_id, body_md, body_html, created_at)
         VALUES ($1, $2, $3, $4, coalesce($5, now())) RETURNING id, number",
    )
    .bind(thread_id)
    .bind(author_id)
    .bind(body_md)
    .bind(body_html)
    .bind(written_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(PostWritten {
        post_id,
        thread_id,
        number,
        author_id,
        is_reply,
        mentioned,
    })
}

/// Renders a body, linking `@name` for members who exist; returns the HTML and their ids.
pub async fn render_with_mentions<'e>(
    db: impl sqlx::PgExecutor<'e>,
    body_md: &str,
) -> crate::error::Result<(String, Vec<i64>)> {
    let names = crate::markdown::mentioned_names(body_md);
    let found: Vec<(i64, String)> = if names.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as("SELECT id, username FROM users WHERE lower(username) = ANY($1)")
            .bind(&names)
            .fetch_all(db)
            .await?
    };
    let known = found
        .iter()
        .map(|(_, name)| (name.to_ascii_lowercase(), name.clone()))
        .collect();
    let html = crate::markdown::render_off_runtime(body_md.to_string(), known).await?;
    Ok((html, found.into_iter().map(|(id, _)| id).collect()))
}

/// Adds a reply unless the thread is locked, checked under the thread's row lock, so a lock
/// that lands between page view and submit still wins, and only where `condition` (SQL) holds
/// too: `$1` the thread, `$2` the author, `$3` the Markdown and `$4` its HTML
/// (`render_with_mentions`, before the statement: replies to one thread take turns on that row
/// until they commit, and rendering is the longest step). Returns the post's id, thread and
/// number; no row if the thread is locked or `condition` is false. `pages::queries::
/// post_reply` runs it with what follows a reply, in one statement.
pub fn insert_reply_sql(condition: &str) -> String {
    format!(
        "INSERT INTO posts (thread_id, author_id, body_md, body_html, created_at)
         SELECT t.id, $2, $3, $4, now() FROM threads t
          WHERE t.id = $1 AND NOT t.locked AND {condition}
            FOR UPDATE OF t
         RETURNING id, thread_id, number"
    )
}

/// Whether an edit made from a form opened on some version was saved.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// Someone saved another version since the form was opened; nothing was written.
    Stale,
}

/// The opening post's edit may retitle its thread in the same step.
pub struct Retitle<'a> {
    pub thread_id: i64,
    pub title: &'a str,
}

/// Replaces a post's body (and its thread's title, for an opening post), keeping the old body
/// as a revision, if the post is still at `version`, the version the edit form was opened on.
/// The row lock makes two saves from one version take turns, so the second sees it is stale.
/// `editor` wrote the new version: the author, or a facilitator reverting it. The caller commits.
pub async fn edit_post(
    tx: &mut Transaction<'_, Postgres>,
    post_id: i64,
    version: i32,
    body_md: &str,
    editor: i64,
    retitle: Option<Retitle<'_>>,
) -> crate::error::Result<Saved> {
    let current: Option<(i32, String)> =
        sqlx::query_as("SELECT version, body_md FROM posts WHERE id = $1 FOR UPDATE")
            .bind(post_id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((current_version, current_body)) = current else {
        return Ok(Saved::Stale);
    };
    if current_version != version {
        return Ok(Saved::Stale);
    }
    if current_body != body_md {
        sqlx::query(
            "INSERT INTO post_revisions (post_id, body_md, body_html, written_at, written_by)
             SELECT id, body_md, body_html, coalesce(edited_at, created_at),
                    coalesce(edited_by, author_id)
               FROM posts WHERE id = $1",
        )
        .bind(post_id)
        .execute(&mut **tx)
        .await?;
        let (body_html, _) = render_with_mentions(&mut **tx, body_md).await?;
        sqlx::query(
            "UPDATE posts SET body_md = $2, body_html = $3, edited_at = now(), edited_by = $4,
                              version = version + 1
              WHERE id = $1",
        )
        .bind(post_id)
        .bind(body_md)
        .bind(body_html)
        .bind(editor)
        .execute(&mut **tx)
        .await?;
    }
    if let Some(retitle) = retitle {
        retitle_thread(&mut **tx, retitle.thread_id, retitle.title).await?;
    }
    Ok(Saved::Saved)
}

pub async fn retitle_thread<'e>(
    db: impl sqlx::PgExecutor<'e>,
    thread_id: i64,
    title: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE threads SET title = $2 WHERE id = $1")
        .bind(thread_id)
        .bind(title)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn delete_post(db: &PgPool, post_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE posts SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL")
        .bind(post_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// An earlier version of a post, and who wrote it.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Revision {
    pub id: i64,
    pub body_md: String,
    pub body_html: String,
    pub written_at: OffsetDateTime,
    pub writer_username: Option<String>,
    pub writer_name: Option<String>,
}

/// Earlier versions of a post, newest first.
pub async fn revisions(db: &PgPool, post_id: i64) -> sqlx::Result<Vec<Revision>> {
    sqlx::query_as(
        "SELECT r.id, r.body_md, r.body_html, r.written_at, u.username AS writer_username,
                u.display_name AS writer_name
           FROM post_revisions r LEFT JOIN users u ON u.id = r.written_by
          WHERE r.post_id = $1 ORDER BY r.id DESC",
    )
    .bind(post_id)
    .fetch_all(db)
    .await
}

/// Who wrote a post's current version, if not its author (a facilitator's revert).
pub async fn current_editor(db: &PgPool, post_id: i64) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT u.username, u.display_name FROM posts p JOIN users u ON u.id = p.edited_by
          WHERE p.id = $1",
    )
    .bind(post_id)
    .fetch_optional(db)
    .await
}

pub async fn join(db: &PgPool, domain_id: i64, user_id: i64) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "INSERT INTO memberships (domain_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(domain_id)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(added.rows_affected() == 1)
}

pub enum Leaving {
    Left,
    LastFacilitator,
    Banned,
    NotAMember,
}

/// Leaves a domain. The last facilitator cannot leave (the domain would have no one to tend
/// it), and leaving does not wipe out a ban.
pub async fn leave(db: &PgPool, domain_id: i64, user_id: i64) -> sqlx::Result<Leaving> {
    let mut tx = db.begin().await?;
    let row: Option<(String, bool, i64)> = sqlx::query_as(
        "SELECT m.role, coalesce(m.banned_until > now(), false),
                (SELECT count(*) FROM memberships f WHERE f.domain_id = $1 AND f.role = 'facilitator')
           FROM memberships m WHERE m.domain_id = $1 AND m.user_id = $2 FOR UPDATE",
    )
    .bind(domain_id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match row {
        None => Leaving::NotAMember,
        Some((_, true, _)) => Leaving::Banned,
        Some((role, false, facilitators)) if role == "facilitator" && facilitators <= 1 => {
            Leaving::LastFacilitator
        }
        Some(_) => {
            sqlx::query("DELETE FROM memberships WHERE domain_id = $1 AND user_id = $2")
                .bind(domain_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            Leaving::Left
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let cursor = Cursor {
            at: time::macros::datetime!(2026-11-22 10:00:00.123456 UTC),
            id: 42,
        };
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::parse("abc"), None);
        assert_eq!(Cursor::parse("1_"), None);
        assert_eq!(Cursor::parse("99999999999999999999999999999_1"), None);
    }
}
