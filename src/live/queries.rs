//! SQL for live streams: what a thread page has not shown yet, and a member's unread count.

use sqlx::PgPool;

/// The most replies one catch-up sends; a page further behind than that is told to reload.
pub const CATCH_UP: i64 = 50;

/// Posts of the thread after `after` that its page would show (not deleted, not hidden), oldest
/// first, at most `CATCH_UP + 1` (one more says there are more).
pub async fn posts_after(db: &PgPool, thread_id: i64, after: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM posts
          WHERE thread_id = $1 AND id > $2 AND deleted_at IS NULL AND NOT hidden
          ORDER BY id
          LIMIT $3",
    )
    .bind(thread_id)
    .bind(after)
    .bind(CATCH_UP + 1)
    .fetch_all(db)
    .await
}

/// The thread's newest post (0 for none).
pub async fn last_post(db: &PgPool, thread_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM posts WHERE thread_id = $1")
        .bind(thread_id)
        .fetch_one(db)
        .await
}

/// The count the header shows (the same count as `auth::queries::current_user`'s).
pub async fn unread_count(db: &PgPool, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT unread_badge($1)")
        .bind(user_id)
        .fetch_one(db)
        .await
}
