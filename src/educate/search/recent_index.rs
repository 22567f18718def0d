//! A second text index over posts, holding only the newest: between `RECENT_POSTS` and twice
//! as many. A phrase is searched in the newest posts first (`super::find`), and PostgreSQL
//! estimates a phrase as if its words were independent, so for two words that nearly always
//! come together ("drip irrigation", in 20 000 posts where it guessed 369) it read the newest
//! posts' matches through the index over all posts: 19 000 heap pages visited to keep 500
//! posts, 58 ms of a 70 ms search. This index holds the newest posts' matches alone.
//!
//! A partial index cannot slide, so a job builds the next one (`CREATE INDEX CONCURRENTLY`,
//! which lets posts be written meanwhile) each time `RECENT_POSTS` more posts have arrived,
//! records where it begins in `recent_search_index`, and drops the one before. Until it first
//! runs, and on a database where the index has gone, phrases are searched as words are: the
//! same results, found more slowly.

use sqlx::PgPool;

use super::RECENT_POSTS;

/// True of every post (numbers start at 1), named in the index's predicate and in no search's
/// conditions but a phrase's, so that no other search can use the index. Words are better
/// served by walking the newest posts or by the index over all posts: given this one,
/// PostgreSQL chose it for words in one domain and took 9 ms instead of 5.4–6.1 for a common
/// word, 24–27 ms instead of 13–16 for two (docs/performance.md, twenty-fifth session).
pub const PHRASES_ONLY: &str = "number > 0";

/// Where the index over posts above `newest - RECENT_POSTS` or a little lower should begin: a
/// multiple of `RECENT_POSTS`, so it moves on once per `RECENT_POSTS` posts.
fn begins_above(newest: i64) -> i64 {
    ((newest / RECENT_POSTS - 1) * RECENT_POSTS).max(0)
}

/// Every recent-posts index is named this, then where it begins.
const NAME_PREFIX: &str = "posts_recent_search_";

fn index_name(above: i64) -> String {
    format!("{NAME_PREFIX}{above}")
}

/// The scheduled job: builds the index the newest posts call for, if it is not built yet,
/// then drops any other.
pub async fn move_forward(db: &PgPool) -> anyhow::Result<String> {
    let (newest, recorded): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT max(id) FROM posts), (SELECT above FROM recent_search_index)",
    )
    .fetch_one(db)
    .await?;
    let above = begins_above(newest.unwrap_or(0));
    let name = index_name(above);
    let valid = is_valid(db, &name).await?;
    let outcome = if recorded == Some(above) && valid == Some(true) {
        format!("the posts above {above} are indexed")
    } else {
        build(db, above, &name, valid).await?;
        format!("built the index of the posts above {above}")
    };
    let dropped = drop_all_but(db, &name).await?;
    Ok(match dropped {
        0 => outcome,
        n => format!(
            "{outcome}; dropped {}",
            crate::web::count(n, "older index", "older indexes")
        ),
    })
}

/// Builds the index (again, if an earlier try was cut off and left it invalid: `valid` is
/// `Some(false)`) and records it.
async fn build(db: &PgPool, above: i64, name: &str, valid: Option<bool>) -> anyhow::Result<()> {
    if valid == Some(false) {
        sqlx::raw_sql(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"))
            .execute(db)
            .await?;
    }
    // The same pending list as the index over all posts (migration 8): a new post is added to
    // a short list that searches read as well, and merged into the index in batches.
    sqlx::raw_sql(&format!(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON posts USING gin (search)
           WITH (gin_pending_list_limit = 256) WHERE id > {above} AND {PHRASES_ONLY}"
    ))
    .execute(db)
    .await?;
    sqlx::query(
        "INSERT INTO recent_search_index (above) VALUES ($1)
         ON CONFLICT (only_row) DO UPDATE SET above = excluded.above",
    )
    .bind(above)
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the index named `name` exists (`None` if not) and is usable.
async fn is_valid(db: &PgPool, name: &str) -> sqlx::Result<Option<bool>> {
    sqlx::query_scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Drops every recent-posts index but `keep`: a search that planned with one waits for it
/// to finish first. Returns how many were dropped.
async fn drop_all_but(db: &PgPool, keep: &str) -> anyhow::Result<i64> {
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = 'posts'::regclass AND starts_with(c.relname, $1)
            AND c.relname <> $2",
    )
    .bind(NAME_PREFIX)
    .bind(keep)
    .fetch_all(db)
    .await?;
    for name in &others {
        sqlx::raw_sql(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"))
            .execute(db)
            .await?;
    }
    Ok(others.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_begins_on_a_multiple_below_the_newest_posts() {
        assert_eq!(begins_above(0), 0);
        assert_eq!(begins_above(49_999), 0);
        assert_eq!(begins_above(50_000), 25_000);
        assert_eq!(begins_above(1_000_052), 975_000);
        // It holds at least RECENT_POSTS posts and fewer than twice as many.
        for newest in [50_000, 74_999, 1_000_052] {
            let held = newest - begins_above(newest);
            assert!((RECENT_POSTS..2 * RECENT_POSTS).contains(&held), "{newest}");
        }
    }
}
