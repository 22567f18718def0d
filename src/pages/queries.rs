//! The one query behind the thread page's per-viewer marks, reading what several functions keep:
//! follows and bookmarks (Support), promoted posts (Educate) and reactions (Encourage).

use sqlx::PgPool;

/// What one viewer has marked on a page of posts, in one query: whether they follow the thread,
/// which of the posts they bookmarked, and which posts are in the repertoire (with the entry).
#[derive(sqlx::FromRow, Default)]
pub struct PageMarks {
    pub following: bool,
    pub bookmarked: Vec<i64>,
    pub promoted_posts: Vec<i64>,
    pub promoted_entries: Vec<i64>,
    /// The viewer's own reactions on these posts, as `post id:kind`.
    pub reacted: Vec<String>,
}

impl PageMarks {
    pub fn has_reacted(&self, post_id: &i64, kind: &&str) -> bool {
        self.reacted.contains(&format!("{post_id}:{kind}"))
    }

    /// The entry a post was promoted to. The two arrays come from one ordered query; zipping
    /// them cannot index out of bounds even if they ever differed in length.
    pub fn entry_for(&self, post_id: &i64) -> Option<i64> {
        self.promoted_posts
            .iter()
            .zip(&self.promoted_entries)
            .find(|(post, _)| *post == post_id)
            .map(|(_, entry)| *entry)
    }
}

pub async fn page_marks(
    db: &PgPool,
    viewer: Option<i64>,
    thread_id: i64,
    post_ids: &[i64],
) -> sqlx::Result<PageMarks> {
    sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM thread_follows WHERE user_id = $1 AND thread_id = $2) AS following,
                array(SELECT post_id FROM bookmarks WHERE user_id = $1 AND post_id = ANY($3)) AS bookmarked,
                array(SELECT source_post_id FROM repertoire_entries WHERE source_post_id = ANY($3) ORDER BY id) AS promoted_posts,
                array(SELECT id FROM repertoire_entries WHERE source_post_id = ANY($3) ORDER BY id) AS promoted_entries,
                array(SELECT post_id || ':' || kind FROM reactions WHERE user_id = $1 AND post_id = ANY($3)) AS reacted",
    )
    .bind(viewer)
    .bind(thread_id)
    .bind(post_ids)
    .fetch_one(db)
    .await
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
