-- Threads carry tags, as repertoire entries do (forum::tags), and members set a watching level
-- on a tag as on a thread or a domain (forum::watching).
ALTER TABLE threads ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX threads_tags_idx ON threads USING gin (tags);

CREATE TABLE tag_watches (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tag     text NOT NULL CHECK (length(tag) BETWEEN 1 AND 40),
    level   text NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
    PRIMARY KEY (user_id, tag)
);
-- Who watches a tag, for the notifications of each new post in its threads.
CREATE INDEX tag_watches_tag_idx ON tag_watches (tag) WHERE level = 'watching';

-- A member's level from a thread's tags: the most attentive of their levels on those tags
-- (watching, then tracking, normal, muted), none when they set none.
CREATE FUNCTION tag_watch_level(member bigint, thread_tags text[]) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT level FROM tag_watches
     WHERE user_id = member AND tag = ANY (thread_tags)
     ORDER BY array_position(ARRAY['watching', 'tracking', 'normal', 'muted'], level)
     LIMIT 1
$$;

-- The one rule for a member's level on a thread, now with its tags: the thread's own, else
-- watching for its author, else its tags', else its domain's, else tracking.
DROP FUNCTION effective_watch_level(text, boolean, text);
CREATE FUNCTION effective_watch_level(thread_level text, is_author boolean, tag_level text,
                                      domain_level text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(thread_level, CASE WHEN is_author THEN 'watching' END, tag_level,
                    domain_level, 'tracking')
$$;
