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
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::auth::Visitor;
use crate::error::Result;
use crate::web::{url_encode, PageContext};
use crate::AppState;

const PER_PAGE: i64 = 20;
const MAX_PAGE: i64 = 25;
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
            "post" => "Reply",
            _ => "Repertoire",
        }
    }

    /// The snippet, escaped, with matches in `<mark>`.
    pub fn snippet_html(&self) -> String {
        highlight(&self.snippet)
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

pub async fn search(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<SearchQuery>,
) -> Result<SearchPage> {
    let viewer = visitor.page.user.as_ref();
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
    let mut domains = crate::forum::queries::visible_domains(&state.db, viewer).await?;
    domains.sort_by(|a, b| a.name.cmp(&b.name));
    // Only a domain the viewer can see may narrow the search; anything else searches them all.
    let domain = domains
        .iter()
        .find(|d| d.slug == query.domain)
        .map(|d| d.slug.clone())
        .unwrap_or_default();
    let mut hits = if q.is_empty() {
        Vec::new()
    } else {
        find(&state, viewer.map(|u| u.id), &q, &domain, kind, page_number).await?
    };
    let has_next = hits.len() as i64 > PER_PAGE && page_number < MAX_PAGE;
    hits.truncate(PER_PAGE as usize);
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

async fn find(
    state: &AppState,
    viewer: Option<i64>,
    q: &str,
    domain: &str,
    kind: Kind,
    page_number: i64,
) -> sqlx::Result<Vec<Hit>> {
    sqlx::query_as(
        "WITH query AS (SELECT websearch_to_tsquery('english', $1) AS tsq),
         readable AS (
             SELECT d.id, d.slug, d.name FROM readable_domains($2) d WHERE $3 = '' OR d.slug = $3
         ),
         hits AS (
             SELECT 'thread' AS kind, t.id, t.title, t.title AS text, ts_rank(t.search, query.tsq) AS rank,
                    r.slug, r.name
               FROM listed_threads($2) t JOIN readable r ON r.id = t.domain_id, query
              WHERE $4 IN ('', 'threads') AND t.search @@ query.tsq
             UNION ALL
             SELECT 'post', p.id, t.title, p.body_md, ts_rank(p.search, query.tsq), r.slug, r.name
               FROM listed_posts($2) p JOIN threads t ON t.id = p.thread_id JOIN readable r ON r.id = t.domain_id, query
              WHERE $4 IN ('', 'replies') AND p.search @@ query.tsq
             UNION ALL
             SELECT 'entry', e.id, e.title, e.title || ': ' || e.summary || ' ' || e.body_md, ts_rank(e.search, query.tsq),
                    r.slug, r.name
               FROM repertoire_entries e JOIN readable r ON r.id = e.domain_id, query
              WHERE $4 IN ('', 'repertoire') AND e.search @@ query.tsq
             ORDER BY rank DESC, id DESC
             LIMIT $5 OFFSET $6
         )
         SELECT hits.kind, hits.id, hits.title,
                ts_headline('english', hits.text, query.tsq,
                            'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=35, MinWords=15, ShortWord=0, MaxFragments=2')
                    AS snippet,
                hits.slug AS domain_slug, hits.name AS domain_name
           FROM hits, query
          ORDER BY hits.rank DESC, hits.id DESC",
    )
    .bind(q)
    .bind(viewer)
    .bind(domain)
    .bind(kind.as_str())
    .bind(PER_PAGE + 1)
    .bind((page_number - 1) * PER_PAGE)
    .fetch_all(&state.db)
    .await
}

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
