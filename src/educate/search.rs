//! `/search?q=`: PostgreSQL full-text search over thread titles, replies and repertoire entries.
//!
//! `websearch_to_tsquery` accepts anything a person types (quotes, `or`, `-word`, stray
//! punctuation) without a syntax error. Results are ranked with `ts_rank` over the GIN-indexed
//! `search` columns, restricted in the same query to domains the viewer may read. Snippets are
//! made by `ts_headline` for the shown page only, then HTML-escaped here with just our own
//! `<mark>` tags added. Search results are a ranked list rather than a table walk, so pages use
//! LIMIT/OFFSET, capped at `MAX_PAGE`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use serde::Deserialize;

use crate::auth::Arrival;
use crate::error::{AppError, Result};
use crate::web::{take_beyond, url_encode, PageContext, Query};
use crate::AppState;

pub mod recent_index;

const PER_PAGE: i64 = 20;
/// The last page the candidates of the three kinds can fill (15 of 20).
const MAX_PAGE: i64 = 3 * CANDIDATES / PER_PAGE;
const MAX_QUERY_CHARS: usize = 200;
/// Marks `ts_headline` puts around matches; private-use characters nobody types.
const START_MARK: char = '\u{E000}';
const STOP_MARK: char = '\u{E001}';

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    domain: String,
    kind: String,
    page: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    All,
    Threads,
    Replies,
    Repertoire,
}

impl Kind {
    fn parse(raw: &str) -> Kind {
        match raw {
            "threads" => Kind::Threads,
            "replies" => Kind::Replies,
            "repertoire" => Kind::Repertoire,
            _ => Kind::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::All => "",
            Kind::Threads => "threads",
            Kind::Replies => "replies",
            Kind::Repertoire => "repertoire",
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct Hit {
    pub kind: String,
    pub id: i64,
    pub title: String,
    pub snippet: String,
    pub domain_slug: String,
    pub domain_name: String,
    /// A post that opens its thread, not a reply.
    pub opening: bool,
    /// A repertoire entry's state (`educate::upkeep`).
    pub entry_state: Option<String>,
}

impl Hit {
    pub fn href(&self) -> String {
        match self.kind.as_str() {
            "thread" => format!("/t/{}", self.id),
            "post" => format!("/p/{}", self.id),
            _ => format!("/r/{}", self.id),
        }
    }

    pub fn label(&self) -> &'static str {
        match self.kind.as_str() {
            "thread" => "Thread",
            "post" if self.opening => "Opening post",
            "post" => "Reply",
            _ => "Repertoire",
        }
    }

    /// A repertoire entry's state, when it is not current.
    pub fn entry_state_label(&self) -> Option<&'static str> {
        self.entry_state
            .as_deref()
            .filter(|state| *state != "current")
            .map(super::upkeep::state_label)
    }

    /// The snippet as plain text (it is cut from Markdown), escaped, with matches in `<mark>`.
    pub fn snippet_html(&self) -> String {
        highlight(&crate::markdown::plain_excerpt(&self.snippet, usize::MAX))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "educate/search.html")]
pub struct SearchPage {
    pub page: PageContext,
    pub q: String,
    pub shortened: bool,
    pub domain: String,
    pub kind: Kind,
    pub domains: Vec<crate::forum::queries::DomainSummary>,
    pub hits: Vec<Hit>,
    pub searched: bool,
    pub page_number: i64,
    pub has_next: bool,
}

impl SearchPage {
    pub fn link_to_page(&self, number: i64) -> String {
        format!(
            "/search?q={}&domain={}&kind={}&page={number}",
            url_encode(&self.q),
            url_encode(&self.domain),
            self.kind.as_str()
        )
    }
}

/// Two round trips for a visitor: the domains they may narrow to beside the window's edge,
/// then the search. A member's session comes first, and their account is checked beside the
/// first.
pub async fn search(
    State(state): State<AppState>,
    arrival: Arrival,
    Query(query): Query<SearchQuery>,
) -> Result<SearchPage> {
    // (A NUL never gets here: `web::refuse_nul` answers 400 first.)
    let shortened = query.q.chars().count() > MAX_QUERY_CHARS;
    let q: String = query.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let kind = Kind::parse(&query.kind);
    let page_number = query
        .page
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, MAX_PAGE);
    // The window (its edge, and whether the query holds a phrase) is looked up beside the
    // domains, so the search costs no extra round trip in sequence.
    let db = &state.db;
    let ((visitor, mut domains), window) = tokio::try_join!(
        arrival.read_beside(&state, |viewer_id| async move {
            Ok(crate::forum::queries::visible_domains_for(db, viewer_id).await?)
        }),
        async {
            if q.is_empty() {
                Ok(Window::default())
            } else {
                recent_window(&state, &q).await
            }
        },
    )?;
    let viewer = visitor.page.user.as_ref();
    domains.sort_by(|a, b| a.name.cmp(&b.name));
    // Only a domain the viewer can see may narrow the search; anything else searches them all.
    let chosen = domains.iter().find(|d| d.slug == query.domain);
    let domain = chosen.map(|d| d.slug.clone()).unwrap_or_default();
    let mut hits = if q.is_empty() {
        Vec::new()
    } else {
        let scope = Scope {
            viewer: viewer.map(|u| u.id),
            domain_id: chosen.map(|d| d.id),
            kind,
            window,
        };
        find(&state, &q, scope, page_number).await?
    };
    let has_next = take_beyond(&mut hits, PER_PAGE).is_some() && page_number < MAX_PAGE;
    Ok(SearchPage {
        page: visitor.page,
        searched: !q.is_empty(),
        q,
        shortened,
        domain,
        kind,
        domains,
        hits,
        page_number,
        has_next,
    })
}

/// Matches considered per kind: the newest this many, then ranked. Bounding the candidates keeps
/// a word found in most posts as cheap as a rare one; older matches are reached by narrowing
/// the search (a domain, a kind, more words). Ranking 3 × 300 took about twice the time of
/// 3 × 100 for a common word at the large scale (docs/performance.md, twenty-fourth session).
const CANDIDATES: i64 = 100;

/// Replies are searched newest window first: the newest this many posts (for a phrase, those
/// in `recent_index`: up to twice as many), then (only if they hold fewer than `CANDIDATES`
/// matches) all older ones. A word or phrase found in many posts is answered from the window
/// (work bounded by its size, whatever the index says); one found in few is answered by the
/// index over everything (work bounded by its matches).
const RECENT_POSTS: i64 = 25_000;

/// One page of hits. Planned for its values on every call (the search pool's connections force
/// custom plans), with the tsquery, the window's edge and the domain bound where the planner
/// sees them (not in a CTE or a subquery), so PostgreSQL plans it for these very words, this
/// window and this domain: the GIN index for a rare word, a newest-first scan that stops after
/// enough matches for a common one, and for a phrase (whose frequency the planner cannot
/// estimate) the recent posts' own index (`recent_index`), which only a phrase's search can
/// use (`$8` false). Post candidates are found before the visibility join, so a rare word
/// never makes the planner hash every visible thread; posts the viewer may not read are
/// dropped after, so a page may rank fewer than `CANDIDATES` of them.
///
/// Older posts are never walked newest first. They are searched only when the window holds
/// fewer than `CANDIDATES` matches (words in fewer than one post in 250), and then the index's
/// matches cost less than a walk to find them. The planner estimates a phrase as often as its
/// words together, so it walked all 1.1 million posts for "bean compost" (two words 130 000
/// posts share, never side by side): 1.4 s, where checking the index's matches takes 0.36 s.
async fn find(state: &AppState, q: &str, scope: Scope, page_number: i64) -> Result<Vec<Hit>> {
    let Scope {
        viewer,
        domain_id,
        kind,
        window,
    } = scope;
    sqlx::query_as(&format!(
            "WITH thread_hits AS (
                 SELECT 'thread' AS kind, t.id, t.title, t.title AS text, t.search AS vector, t.domain_id,
                        t.id AS thread_id, false AS opening
                   FROM listed_threads($2) t
                  WHERE $4 IN ('', 'threads') AND t.search @@ websearch_to_tsquery('english', $1)
                    AND ($3::bigint IS NULL OR t.domain_id = $3)
                  ORDER BY t.id DESC LIMIT {CANDIDATES}
             ),
             post_candidates AS MATERIALIZED (
                 (SELECT p.id FROM posts p
                   WHERE $4 IN ('', 'replies') AND p.id > $7 AND ($8 OR p.{phrases_only})
                     AND p.search @@ websearch_to_tsquery('english', $1)
                     AND p.deleted_at IS NULL AND NOT p.hidden
                     AND ($3::bigint IS NULL OR p.domain_id = $3)
                   ORDER BY p.id DESC LIMIT {CANDIDATES})
                 UNION ALL
                 -- `+ 0`: older posts are found through the text index, never by walking
                 -- them newest first (see the comment on `find`).
                 (SELECT p.id FROM posts p
                   WHERE $4 IN ('', 'replies') AND p.id + 0 <= $7
                     AND p.search @@ websearch_to_tsquery('english', $1)
                     AND p.deleted_at IS NULL AND NOT p.hidden
                     AND ($3::bigint IS NULL OR p.domain_id = $3)
                   ORDER BY p.id + 0 DESC LIMIT {CANDIDATES})
                 LIMIT {CANDIDATES}
             ),
             post_hits AS (
                 SELECT 'post' AS kind, p.id, t.title, p.body_md AS text, p.search AS vector, t.domain_id,
                        t.id AS thread_id, p.number = 1 AS opening
                   FROM post_candidates c JOIN listed_posts($2) p ON p.id = c.id
                   JOIN threads t ON t.id = p.thread_id
             ),
             entry_hits AS (
                 SELECT 'entry' AS kind, e.id, e.title, e.title || ': ' || e.summary || ' ' || e.body_md AS text,
                        e.search AS vector, e.domain_id, NULL::bigint AS thread_id, false AS opening
                   FROM repertoire_entries e
                  WHERE $4 IN ('', 'repertoire') AND e.search @@ websearch_to_tsquery('english', $1)
                    AND e.domain_id IN (SELECT id FROM readable_domains($2))
                    AND ($3::bigint IS NULL OR e.domain_id = $3)
                  ORDER BY e.id DESC LIMIT {CANDIDATES}
             ),
             -- One hit per thread, its best: the thread's title or one of its posts.
             best AS (
                 SELECT DISTINCT ON (coalesce(c.thread_id, -c.id))
                        c.kind, c.id, c.title, c.text, c.domain_id, c.thread_id, c.opening,
                        ts_rank(c.vector, websearch_to_tsquery('english', $1)) AS rank
                   FROM (SELECT * FROM thread_hits UNION ALL SELECT * FROM post_hits
                         UNION ALL SELECT * FROM entry_hits) c
                  ORDER BY coalesce(c.thread_id, -c.id), rank DESC, c.id DESC
             ),
             ranked AS (
                 SELECT * FROM best ORDER BY rank DESC, id DESC LIMIT $5 OFFSET $6
             )
             SELECT r.kind, r.id, r.title, r.opening,
                    (SELECT e.state FROM repertoire_entries e
                      WHERE r.kind = 'entry' AND e.id = r.id) AS entry_state,
                    ts_headline('english', r.text, websearch_to_tsquery('english', $1),
                                'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=35, MinWords=15, ShortWord=0, MaxFragments=2')
                        AS snippet,
                    d.slug AS domain_slug, d.name AS domain_name
               FROM ranked r JOIN domains d ON d.id = r.domain_id
              ORDER BY r.rank DESC, r.id DESC",
            phrases_only = recent_index::PHRASES_ONLY
    ))
        .bind(q)
        .bind(viewer)
        .bind(domain_id)
        .bind(kind.as_str())
        .bind(PER_PAGE + 1)
        .bind((page_number - 1) * PER_PAGE)
        .bind(window.edge)
        .bind(!window.phrase_index)
        .fetch_all(&state.search_db)
        .await
        .map_err(search_failed)
}

/// What a search looks in: the viewer's domains (or one of them), one kind or all, and the
/// recent window of posts.
struct Scope {
    viewer: Option<i64>,
    /// Bound as a value the planner sees, so a domain holding most threads is walked newest
    /// first, not intersected with the text index (19.6 ms → 0.6 ms for a common word in the
    /// large data set's biggest domain, when the id was looked up inside the statement).
    domain_id: Option<i64>,
    kind: Kind,
    window: Window,
}

/// The newest posts, searched first: those above `edge`.
#[derive(Default)]
struct Window {
    edge: i64,
    /// The window is the recent posts' own text index (`recent_index`), searched for a phrase.
    phrase_index: bool,
}

/// For words, the newest `RECENT_POSTS` posts. For a phrase (quoted words, or words joined by
/// a hyphen), the posts in the recent index, if it has been built: that is at least as many.
async fn recent_window(state: &AppState, q: &str) -> Result<Window> {
    let (newest, indexed_above, phrase): (Option<i64>, Option<i64>, bool) = sqlx::query_as(
        "SELECT (SELECT max(id) FROM posts), (SELECT above FROM recent_search_index),
                websearch_to_tsquery('english', $1)::text ~ '<(-|[0-9]+)>'",
    )
    .bind(q)
    .fetch_one(&state.search_db)
    .await
    .map_err(search_failed)?;
    Ok(match indexed_above.filter(|_| phrase) {
        Some(above) => Window {
            edge: above,
            phrase_index: true,
        },
        None => Window {
            edge: newest.unwrap_or(0) - RECENT_POSTS,
            phrase_index: false,
        },
    })
}

fn search_failed(err: sqlx::Error) -> AppError {
    match err {
        // query_canceled (the statement timeout) or no search connection free in time.
        sqlx::Error::PoolTimedOut => AppError::Busy(TOO_BUSY),
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            AppError::Busy(TOO_BUSY)
        }
        err => err.into(),
    }
}

const TOO_BUSY: &str = "Search is busy right now, or that search took too long. Try again in a moment, or narrow it to a domain or a kind.";

/// Escapes `text` for HTML and turns our match marks into balanced `<mark>` elements.
fn highlight(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 32);
    let mut open = false;
    for c in text.chars() {
        match c {
            START_MARK if !open => {
                html.push_str("<mark>");
                open = true;
            }
            STOP_MARK if open => {
                html.push_str("</mark>");
                open = false;
            }
            START_MARK | STOP_MARK => {}
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            other => html.push(other),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_and_marked() {
        let raw = format!("a <script> {START_MARK}compost{STOP_MARK} & \"x\"");
        assert_eq!(
            highlight(&raw),
            "a &lt;script&gt; <mark>compost</mark> &amp; &quot;x&quot;"
        );
    }

    #[test]
    fn marks_stay_balanced() {
        let raw = format!("{STOP_MARK}a{START_MARK}{START_MARK}b");
        assert_eq!(highlight(&raw), "a<mark>b</mark>");
    }
}
