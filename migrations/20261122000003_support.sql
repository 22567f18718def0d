-- The unanswered queue walks open questions by (has replies, age): unreplied first, oldest first.
CREATE INDEX threads_unanswered_idx ON threads (domain_id, (reply_count > 0), created_at, id)
    WHERE kind = 'question' AND accepted_post_id IS NULL AND NOT hidden;

-- "Is this post in the repertoire?" for a page of posts, and a member's bookmarks newest first.
CREATE INDEX repertoire_source_thread_idx ON repertoire_entries (source_thread_id) WHERE source_thread_id IS NOT NULL;
CREATE INDEX bookmarks_user_idx ON bookmarks (user_id, created_at DESC);
CREATE INDEX thread_follows_user_idx ON thread_follows (user_id);
