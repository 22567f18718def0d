//! SQL for the repertoire.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::forum::queries::Saved;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EntrySummary {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub reports_count: i32,
    pub created_at: OffsetDateTime,
    /// `educate::upkeep`'s state.
    pub state: String,
}

impl EntrySummary {
    /// The state, when a list should say it (not current).
    pub fn state_label(&self) -> Option<&'static str> {
        (self.state != "current").then(|| super::upkeep::state_label(&self.state))
    }
}

pub const ENTRIES_PER_PAGE: i64 = 30;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Newest,
    MostApplied,
}

/// Where a page of entries starts: after (sort key, id), the key being microseconds since 1970
/// for `Newest` and the report count for `MostApplied`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryCursor {
    pub key: i64,
    pub id: i64,
}

impl EntryCursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.key, self.id)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (key, id) = raw.split_once('_')?;
        Some(EntryCursor {
            key: key.parse().ok()?,
            id: id.parse().ok()?,
        })
    }

    pub fn after(entry: &EntrySummary, order: Order) -> Self {
        let key = match order {
            Order::Newest => (entry.created_at.unix_timestamp_nanos() / 1000) as i64,
            Order::MostApplied => i64::from(entry.reports_count),
        };
        EntryCursor { key, id: entry.id }
    }
}

pub async fn entries(
    db: &PgPool,
    domain_id: i64,
    kind: Option<&str>,
    tag: Option<&str>,
    order: Order,
    after: Option<EntryCursor>,
) -> sqlx::Result<Vec<EntrySummary>> {
    let (order_by, seek) = match order {
        Order::Newest => (
            "created_at DESC, id DESC",
            "(created_at, id) < (to_timestamp($4::double precision / 1e6), $5)",
        ),
        Order::MostApplied => (
            "reports_count DESC, id DESC",
            "(reports_count, id) < ($4::integer, $5)",
        ),
    };
    sqlx::query_as(&format!(
        "SELECT id, kind, title, summary, tags, reports_count, created_at, state
           FROM repertoire_entries
          WHERE domain_id = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR tags @> ARRAY[$3])
            AND ($4::bigint IS NULL OR {seek})
          ORDER BY {order_by}
          LIMIT {ENTRIES_PER_PAGE}"
    ))
    .bind(domain_id)
    .bind(kind)
    .bind(tag)
    .bind(after.map(|c| c.key))
    .bind(after.map(|c| c.id))
    .fetch_all(db)
    .await
}

/// How many entries a domain has of each kind, and under each tag (kept on write in
/// `repertoire_facets`).
pub async fn counts(
    db: &PgPool,
    domain_id: i64,
) -> sqlx::Result<(Vec<(String, i64)>, Vec<(String, i64)>)> {
    let facets: Vec<(String, String, i64)> = sqlx::query_as(
        "(SELECT facet, name, entries::bigint FROM repertoire_facets
           WHERE domain_id = $1 AND facet = 'kind' ORDER BY name)
         UNION ALL
         (SELECT facet, name, entries::bigint FROM repertoire_facets
           WHERE domain_id = $1 AND facet = 'tag' ORDER BY entries DESC, name LIMIT 100)",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await?;
    let (kinds, tags): (Vec<_>, Vec<_>) =
        facets.into_iter().partition(|(facet, ..)| facet == "kind");
    let counted = |facets: Vec<(String, String, i64)>| {
        facets.into_iter().map(|(_, name, n)| (name, n)).collect()
    };
    Ok((counted(kinds), counted(tags)))
}

/// The domain page's repertoire sidebar for the domain whose id is the SQL expression
/// `domain_id`: its five newest entries and its five most applied, as a JSON array of
/// `[most applied?, id, title, times applied]`, for a page that loads it with the domain.
pub fn sidebar_as_json(domain_id: &str) -> String {
    format!(
        "(SELECT coalesce(json_agg(json_build_array(side.most_applied, side.id, side.title,
                                                    side.reports_count)), '[]')
            FROM ((SELECT false AS most_applied, id, title, reports_count
                     FROM repertoire_entries WHERE domain_id = {domain_id}
                    ORDER BY created_at DESC, id DESC LIMIT 5)
                  UNION ALL
                  (SELECT true, id, title, reports_count
                     FROM repertoire_entries WHERE domain_id = {domain_id} AND reports_count > 0
                    ORDER BY reports_count DESC, id DESC LIMIT 5)) side)"
    )
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Entry {
    pub id: i64,
    pub domain_id: i64,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub body_html: String,
    pub tags: Vec<String>,
    pub source_thread_id: Option<i64>,
    pub source_post_id: Option<i64>,
    /// Whether the viewer may read the source thread; its title and author are empty if not.
    pub source_readable: bool,
    pub source_title: Option<String>,
    pub source_author: Option<String>,
    pub curated_by: Option<i64>,
    pub curator_username: Option<String>,
    pub curator_name: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub reports_count: i32,
    pub worked_count: i32,
    pub partly_count: i32,
    pub did_not_count: i32,
    /// Moves on with every edit; the edit form carries the version it was opened on.
    pub version: i32,
    pub revision_count: i64,
    /// Knowledge upkeep (`educate::upkeep`): who keeps it, when it is due, its state and what
    /// replaces it (with its title) when obsolete.
    pub steward_id: Option<i64>,
    pub steward_username: Option<String>,
    pub steward_name: Option<String>,
    pub review_by: time::Date,
    pub state: String,
    pub replaced_by: Option<i64>,
    pub replacement_title: Option<String>,
    /// For an entry made from a thread's accepted answer: how often the thread reports it was
    /// applied, and how often it worked.
    pub answer_applied: Option<i64>,
    pub answer_worked: Option<i64>,
}

impl Entry {
    pub fn state_label(&self) -> &'static str {
        super::upkeep::state_label(&self.state)
    }
}

/// An entry as `viewer` sees it: its provenance (the source thread's title and author) only
/// while the viewer may read the thread's domain, which can change when a thread is moved.
pub async fn entry(db: &PgPool, id: i64, viewer: Option<i64>) -> sqlx::Result<Option<Entry>> {
    sqlx::query_as(
        "SELECT e.id, e.domain_id, e.kind, e.title, e.summary, e.body_md, e.body_html, e.tags,
                e.source_thread_id, e.source_post_id,
                coalesce(domain_readable(t.domain_id, $2), false) AS source_readable,
                CASE WHEN domain_readable(t.domain_id, $2) THEN t.title END AS source_title,
                CASE WHEN domain_readable(t.domain_id, $2) THEN su.display_name END AS source_author,
                e.curated_by, cu.username AS curator_username,
                cu.display_name AS curator_name, e.created_at, e.updated_at, e.reports_count,
                e.worked_count, e.partly_count, e.did_not_count, e.version,
                (SELECT count(*) FROM repertoire_revisions r WHERE r.entry_id = e.id) AS revision_count,
                e.steward_id, st.username AS steward_username, st.display_name AS steward_name,
                e.review_by, e.state, e.replaced_by, re.title AS replacement_title,
                answer.applied AS answer_applied, answer.worked AS answer_worked
           FROM repertoire_entries e
           LEFT JOIN LATERAL (
               SELECT count(*) AS applied, count(*) FILTER (WHERE pr.outcome = 'worked') AS worked
                 FROM practice_reports pr, threads at
                WHERE at.id = e.source_thread_id AND at.accepted_post_id = e.source_post_id
                  AND domain_readable(at.domain_id, $2) AND pr.thread_id = at.id
               HAVING count(*) > 0
           ) answer ON true
           LEFT JOIN users st ON st.id = e.steward_id
           LEFT JOIN repertoire_entries re ON re.id = e.replaced_by
           LEFT JOIN threads t ON t.id = e.source_thread_id
           LEFT JOIN posts sp ON sp.id = e.source_post_id
           LEFT JOIN users su ON su.id = sp.author_id
           LEFT JOIN users cu ON cu.id = e.curated_by
          WHERE e.id = $1",
    )
    .bind(id)
    .bind(viewer)
    .fetch_optional(db)
    .await
}

pub struct NewEntry<'a> {
    pub domain_id: i64,
    pub kind: super::fields::EntryKind,
    pub title: &'a str,
    pub summary: &'a str,
    pub body_md: &'a str,
    pub tags: &'a [String],
    pub source_thread_id: Option<i64>,
    pub source_post_id: Option<i64>,
    pub curated_by: i64,
}

pub async fn create(conn: &mut PgConnection, entry: NewEntry<'_>) -> crate::error::Result<i64> {
    let (body_html, _) =
        crate::forum::queries::render_with_mentions(&mut *conn, entry.body_md).await?;
    let id = sqlx::query_scalar(
        "INSERT INTO repertoire_entries
             (domain_id, kind, title, summary, body_md, body_html, tags, source_thread_id, source_post_id, curated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING id",
    )
    .bind(entry.domain_id)
    .bind(entry.kind.as_str())
    .bind(entry.title)
    .bind(entry.summary)
    .bind(entry.body_md)
    .bind(body_html)
    .bind(entry.tags)
    .bind(entry.source_thread_id)
    .bind(entry.source_post_id)
    .bind(entry.curated_by)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Saves new content, keeping the previous version as a revision, if the entry is still at
/// `version`, the version the edit form was opened on (see `forum::queries::edit_post`).
pub async fn update(
    db: &PgPool,
    id: i64,
    version: i32,
    editor: i64,
    changed: NewEntry<'_>,
) -> crate::error::Result<Saved> {
    let mut tx = db.begin().await?;
    let current: Option<i32> =
        sqlx::query_scalar("SELECT version FROM repertoire_entries WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if current != Some(version) {
        return Ok(Saved::Stale);
    }
    sqlx::query(
        "INSERT INTO repertoire_revisions (entry_id, title, summary, body_md, body_html, tags, edited_by)
         SELECT id, title, summary, body_md, body_html, tags, $2 FROM repertoire_entries WHERE id = $1",
    )
    .bind(id)
    .bind(editor)
    .execute(&mut *tx)
    .await?;
    let (body_html, _) =
        crate::forum::queries::render_with_mentions(&mut *tx, changed.body_md).await?;
    sqlx::query(
        "UPDATE repertoire_entries
            SET kind = $2, title = $3, summary = $4, body_md = $5, body_html = $6, tags = $7,
                updated_at = now(), version = version + 1
          WHERE id = $1",
    )
    .bind(id)
    .bind(changed.kind.as_str())
    .bind(changed.title)
    .bind(changed.summary)
    .bind(changed.body_md)
    .bind(body_html)
    .bind(changed.tags)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Saved::Saved)
}

#[derive(sqlx::FromRow)]
pub struct EntryRevision {
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub tags: Vec<String>,
    pub editor_name: Option<String>,
    pub replaced_at: OffsetDateTime,
}

pub async fn revisions(db: &PgPool, entry_id: i64) -> sqlx::Result<Vec<EntryRevision>> {
    sqlx::query_as(
        "SELECT r.title, r.summary, r.body_html, r.tags, u.display_name AS editor_name, r.replaced_at
           FROM repertoire_revisions r LEFT JOIN users u ON u.id = r.edited_by
          WHERE r.entry_id = $1 ORDER BY r.id DESC",
    )
    .bind(entry_id)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::EntryCursor;

    #[test]
    fn cursors_round_trip() {
        let cursor = EntryCursor {
            key: 1_700_000_000_000_000,
            id: 7,
        };
        assert_eq!(EntryCursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(EntryCursor::parse("x_1"), None);
    }
}
