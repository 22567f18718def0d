-- Watching levels (forum::watching), as Discourse has them, for threads and domains:
--   watching  told of every new post (in a domain: every new thread and reply);
--   tracking  unread posts counted on the lists (the default);
--   normal    no counts; told only when mentioned;
--   muted     never told, not even of a mention; gone from the member's lists.
-- A thread's own level wins over its domain's; a thread's author watches it unless they chose
-- otherwise. Following a thread was watching it.
ALTER TABLE thread_follows RENAME TO thread_watches;
ALTER INDEX thread_follows_user_idx RENAME TO thread_watches_user_idx;
ALTER TABLE thread_watches ADD COLUMN level text NOT NULL DEFAULT 'watching'
    CHECK (level IN ('watching', 'tracking', 'normal', 'muted'));
ALTER TABLE thread_watches ALTER COLUMN level DROP DEFAULT;

CREATE TABLE domain_watches (
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    level     text NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
    PRIMARY KEY (user_id, domain_id)
);
-- Who watches a domain, for the notifications of each new post.
CREATE INDEX domain_watches_domain_idx ON domain_watches (domain_id) WHERE level = 'watching';

-- The one rule for a member's level on a thread: the thread's own, else watching for its
-- author, else the domain's, else tracking.
CREATE FUNCTION effective_watch_level(thread_level text, is_author boolean, domain_level text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(thread_level, CASE WHEN is_author THEN 'watching' END, domain_level, 'tracking')
$$;
