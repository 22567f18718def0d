-- Edit history as diffs: who wrote each version of a post. Until now only a post's author could
-- edit it, so every earlier version and every edit so far is theirs; from now on a facilitator's
-- revert is written in their name.
ALTER TABLE posts ADD COLUMN edited_by bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE post_revisions ADD COLUMN written_by bigint REFERENCES users (id) ON DELETE SET NULL;

UPDATE posts SET edited_by = author_id WHERE edited_at IS NOT NULL;
UPDATE post_revisions r SET written_by = p.author_id FROM posts p WHERE p.id = r.post_id;
