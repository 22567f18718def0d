//! Writing notifications. Each is written in the transaction of the change that causes it, so a
//! post and its notifications exist together or not at all. Nobody is notified of their own
//! act, and nobody is told about a post in a domain they cannot read.

use sqlx::{Postgres, Transaction};

/// After a post is written: mentioned members are told they were mentioned; members watching
/// the thread (its author, unless they chose otherwise), one of its tags or its domain are told
/// of the reply, or of the new thread. A member's level on the thread (`forum::watching`)
/// decides: muted hears nothing, not even a mention; tracking and normal hear only mentions.
/// One notification per person, a mention taking precedence.
///
/// The statement, over SQL expressions for the post, its thread, its author, whether it is a
/// reply and the ids it mentions: a page runs it inside the statement that writes the post
/// (`pages::queries`). Where `thread` is NULL (nothing was written), nobody is notified.
pub fn post_written_sql(
    post: &str,
    thread: &str,
    author: &str,
    is_reply: &str,
    mentioned: &str,
) -> String {
    format!(
        "INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id)
         SELECT DISTINCT ON (r.user_id) r.user_id, r.kind, {author}, {thread}, {post}
           FROM (
               SELECT unnest({mentioned}::bigint[]) AS user_id, 'mention' AS kind, 1 AS precedence
               UNION ALL
               SELECT author_id, 'reply', 2 FROM threads WHERE id = {thread} AND {is_reply}
               UNION ALL
               SELECT user_id, CASE WHEN {is_reply} THEN 'reply' ELSE 'new_thread' END, 2
                 FROM thread_watches WHERE thread_id = {thread} AND level = 'watching'
               UNION ALL
               SELECT w.user_id, CASE WHEN {is_reply} THEN 'reply' ELSE 'new_thread' END, 2
                 FROM domain_watches w JOIN threads wt ON wt.domain_id = w.domain_id
                WHERE wt.id = {thread} AND w.level = 'watching'
               UNION ALL
               SELECT w.user_id, CASE WHEN {is_reply} THEN 'reply' ELSE 'new_thread' END, 2
                 FROM tag_watches w JOIN threads wt ON w.tag = ANY (wt.tags)
                WHERE wt.id = {thread} AND w.level = 'watching'
           ) r
           JOIN threads t ON t.id = {thread}
           LEFT JOIN thread_watches tw ON tw.thread_id = t.id AND tw.user_id = r.user_id
           LEFT JOIN domain_watches dw ON dw.domain_id = t.domain_id AND dw.user_id = r.user_id
          WHERE r.user_id <> {author} AND domain_readable(t.domain_id, r.user_id)
            AND CASE effective_watch_level(tw.level, t.author_id = r.user_id,
                                           tag_watch_level(r.user_id, t.tags), dw.level)
                    WHEN 'muted' THEN false
                    WHEN 'watching' THEN true
                    ELSE r.kind = 'mention'
                END
          ORDER BY r.user_id, r.precedence"
    )
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
