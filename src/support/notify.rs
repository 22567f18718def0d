//! Writing notifications. Each is written in the transaction of the change that causes it, so a
//! post and its notifications exist together or not at all. Nobody is notified of their own
//! act, and nobody is told about a post in a domain they cannot read.

use sqlx::{Postgres, Transaction};

use crate::forum::queries::PostWritten;

/// After a post is written: mentioned members are told they were mentioned; for a reply, the
/// thread's author and its followers are told of the reply. One notification per person, a
/// mention taking precedence.
pub async fn post_written(
    tx: &mut Transaction<'_, Postgres>,
    written: &PostWritten,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id)
         SELECT DISTINCT ON (r.user_id) r.user_id, r.kind, $3, $2, $1
           FROM (
               SELECT unnest($5::bigint[]) AS user_id, 'mention' AS kind, 1 AS precedence
               UNION ALL
               SELECT author_id, 'reply', 2 FROM threads WHERE id = $2 AND $4
               UNION ALL
               SELECT user_id, 'reply', 2 FROM thread_follows WHERE thread_id = $2 AND $4
           ) r
           JOIN threads t ON t.id = $2
          WHERE r.user_id <> $3 AND domain_readable(t.domain_id, r.user_id)
          ORDER BY r.user_id, r.precedence",
    )
    .bind(written.post_id)
    .bind(written.thread_id)
    .bind(written.author_id)
    .bind(written.is_reply)
    .bind(&written.mentioned)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The author of an accepted answer hears of it, unless they accepted it themselves.
pub async fn answer_accepted(
    tx: &mut Transaction<'_, Postgres>,
    post_id: i64,
    thread_id: i64,
    actor_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id)
         SELECT author_id, 'accepted', $3, $2, $1 FROM posts WHERE id = $1 AND author_id <> $3",
    )
    .bind(post_id)
    .bind(thread_id)
    .bind(actor_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
