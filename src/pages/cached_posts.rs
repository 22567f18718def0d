//! A thread page's posts, kept in the process for every viewer, members included. A page of
//! posts is the same for everyone who may read the thread; only the viewer's marks on it
//! (reactions, bookmarks, flags, poll votes) differ. So a page read once is kept, and the
//! next view of it reads only the marks (`queries::marks_of`), which also return the page's
//! `Stamp` as the database has it now. The kept posts are shown only if their stamp is that
//! one; otherwise the page is read again whole and kept in their place.
//!
//! The stamp is moved in the database, by triggers, with every write to a post of the thread
//! and every change to what a post shows of its author (migration 60), in the same transaction
//! as the write. So a member sees their own reaction or edit on the page it sends them back
//! to, and a write made by another process is seen at once, without waiting to hear of it.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;
use sqlx::PgPool;

use super::queries::{self, MarkedPost, MarksRow, PostRow, Stamp};
use crate::forum::queries::Post;
use crate::metrics::Metrics;

/// Bytes of kept posts per process; the least used pages make room for new ones.
const CAPACITY_BYTES: u64 = 32 * 1024 * 1024;

pub struct CachedPosts {
    pages: Cache<Key, Arc<KeptPage>, ByWeight>,
}

/// A page is asked for by its thread and the post it starts from (`?from=`), as the link has
/// it: two links to one page are kept apart, which costs room, never correctness.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    thread_id: i64,
    from: Option<i64>,
}

/// The posts as `marked_posts` read them (the page and the next page's first post).
struct KeptPage {
    stamp: Stamp,
    posts: Vec<Arc<Post>>,
}

#[derive(Clone)]
struct ByWeight;

impl Weighter<Key, Arc<KeptPage>> for ByWeight {
    fn weight(&self, _key: &Key, page: &Arc<KeptPage>) -> u64 {
        let text: usize = page
            .posts
            .iter()
            .map(|p| p.body_html.len() + p.author_name.len() + p.author_username.len() + 256)
            .sum();
        text as u64 + 64
    }
}

/// How a page's posts were found, counted in `/metrics` by their names in lower case.
#[derive(Clone, Copy)]
enum Found {
    /// Kept, and current: only the marks were read.
    Hit,
    /// Kept, but a post or an author had changed since: read again.
    Stale,
    /// Not kept: read.
    Miss,
}

impl Found {
    fn label(self) -> &'static str {
        match self {
            Found::Hit => "hit",
            Found::Stale => "stale",
            Found::Miss => "miss",
        }
    }
}

impl CachedPosts {
    pub fn new() -> CachedPosts {
        CachedPosts {
            pages: Cache::with_weighter(2048, CAPACITY_BYTES, ByWeight),
        }
    }

    /// The page of thread `thread_id` holding post `from`, with `viewer`'s marks (no rows for
    /// a post of another thread). One statement whether the page was kept or not, two when it
    /// was kept and has changed since.
    pub async fn page(
        &self,
        db: &PgPool,
        metrics: &Metrics,
        thread_id: i64,
        from: Option<i64>,
        viewer: Option<i64>,
    ) -> sqlx::Result<Vec<MarkedPost>> {
        let key = Key { thread_id, from };
        let found = match self.pages.get(&key) {
            Some(kept) => {
                let ids: Vec<i64> = kept.posts.iter().map(|p| p.id).collect();
                let marks = queries::marks_of(db, thread_id, &ids, viewer).await?;
                if let Some(page) = kept.with(marks) {
                    count(metrics, Found::Hit);
                    return Ok(page);
                }
                Found::Stale
            }
            None => Found::Miss,
        };
        let rows = queries::marked_posts(db, thread_id, from, viewer).await?;
        count(metrics, found);
        Ok(self.keep(key, rows))
    }

    /// Keeps the posts of `rows` (unless there are none: a wrong `from` is not worth room) and
    /// hands them back with their marks.
    fn keep(&self, key: Key, rows: Vec<PostRow>) -> Vec<MarkedPost> {
        let Some(stamp) = rows.first().map(|row| row.stamp) else {
            return Vec::new();
        };
        let page: Vec<MarkedPost> = rows
            .into_iter()
            .map(|row| MarkedPost {
                post: Arc::new(row.post),
                marks: row.marks,
            })
            .collect();
        let posts = page.iter().map(|marked| marked.post.clone()).collect();
        self.pages.insert(key, Arc::new(KeptPage { stamp, posts }));
        page
    }

    /// Pages kept now, and their weight in bytes.
    pub fn size(&self) -> (usize, u64) {
        (self.pages.len(), self.pages.weight())
    }
}

impl Default for CachedPosts {
    fn default() -> Self {
        CachedPosts::new()
    }
}

impl KeptPage {
    /// The kept posts with these marks, if the marks were read for exactly these posts as the
    /// database has them now.
    fn with(&self, marks: Vec<MarksRow>) -> Option<Vec<MarkedPost>> {
        let current = marks.len() == self.posts.len()
            && marks
                .iter()
                .zip(&self.posts)
                .all(|(row, post)| row.post_id == post.id && row.stamp == self.stamp);
        current.then(|| {
            marks
                .into_iter()
                .zip(&self.posts)
                .map(|(row, post)| MarkedPost {
                    post: post.clone(),
                    marks: row.marks,
                })
                .collect()
        })
    }
}

fn count(metrics: &Metrics, found: Found) {
    metrics.record(|| {
        metrics::counter!("commonplace_thread_posts_requests_total", "result" => found.label())
            .increment(1);
    });
}
