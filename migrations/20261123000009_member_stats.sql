-- A member's contributions per domain, kept on write, so a profile's tally is a sum over the
-- domains the viewer may read instead of a count of every post the member ever wrote (1.9 s
-- for the most active member at a million posts). Only listed posts count — not deleted, not
-- hidden, in a thread that is not hidden — exactly what `listed_posts` shows.

CREATE TABLE member_stats (
    user_id            bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id          bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    threads            integer NOT NULL DEFAULT 0,
    replies            integer NOT NULL DEFAULT 0,
    reactions_received integer NOT NULL DEFAULT 0,
    accepted_answers   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, domain_id)
);

-- Adds (or, with sign -1, removes) one post's share: its author's thread or reply, the
-- reactions on it, and whether it is its thread's accepted answer.
CREATE FUNCTION member_stats_add(p posts, t threads, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    opening boolean := NOT EXISTS (SELECT 1 FROM posts e WHERE e.thread_id = p.thread_id AND e.id < p.id);
BEGIN
    INSERT INTO member_stats AS s (user_id, domain_id, threads, replies, reactions_received, accepted_answers)
    VALUES (p.author_id, t.domain_id,
            sign * opening::integer, sign * (NOT opening)::integer,
            sign * (p.helpful_count + p.thanks_count + p.insightful_count),
            sign * (t.accepted_post_id IS NOT DISTINCT FROM p.id)::integer)
    ON CONFLICT (user_id, domain_id) DO UPDATE
       SET threads = s.threads + EXCLUDED.threads,
           replies = s.replies + EXCLUDED.replies,
           reactions_received = s.reactions_received + EXCLUDED.reactions_received,
           accepted_answers = s.accepted_answers + EXCLUDED.accepted_answers;
END $$;

CREATE FUNCTION post_listed(p posts, t threads) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
$$;

-- A post written, deleted, hidden or restored, or its reactions changed.
CREATE FUNCTION member_stats_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t threads;
BEGIN
    SELECT * INTO t FROM threads WHERE id = NEW.thread_id;
    IF TG_OP = 'UPDATE' AND post_listed(OLD, t) THEN
        PERFORM member_stats_add(OLD, t, -1);
    END IF;
    IF post_listed(NEW, t) THEN
        PERFORM member_stats_add(NEW, t, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER member_stats_post AFTER INSERT OR UPDATE OF deleted_at, hidden, helpful_count, thanks_count, insightful_count ON posts
    FOR EACH ROW EXECUTE FUNCTION member_stats_post();

-- A thread hidden, restored or moved, or its accepted answer changed: its posts are taken out
-- with the old thread and put back with the new one — all of them when it was hidden or moved,
-- only the old and new answers when just the accepted answer changed.
CREATE FUNCTION member_stats_thread() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p posts;
    all_posts boolean := OLD.hidden IS DISTINCT FROM NEW.hidden OR OLD.domain_id IS DISTINCT FROM NEW.domain_id;
BEGIN
    FOR p IN SELECT * FROM posts WHERE thread_id = NEW.id
                AND (all_posts OR id IN (OLD.accepted_post_id, NEW.accepted_post_id)) LOOP
        IF post_listed(p, OLD) THEN
            PERFORM member_stats_add(p, OLD, -1);
        END IF;
        IF post_listed(p, NEW) THEN
            PERFORM member_stats_add(p, NEW, 1);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER member_stats_thread AFTER UPDATE OF hidden, domain_id, accepted_post_id ON threads
    FOR EACH ROW
    WHEN (OLD.hidden IS DISTINCT FROM NEW.hidden OR OLD.domain_id IS DISTINCT FROM NEW.domain_id
          OR OLD.accepted_post_id IS DISTINCT FROM NEW.accepted_post_id)
    EXECUTE FUNCTION member_stats_thread();

-- Every counter computed from the rows: for what is there already, and for a bulk load that
-- ran with triggers off (the benchmark's).
CREATE FUNCTION member_stats_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM member_stats;
    INSERT INTO member_stats (user_id, domain_id, threads, replies, reactions_received, accepted_answers)
    SELECT p.author_id, t.domain_id,
           count(*) FILTER (WHERE p.id = f.first), count(*) FILTER (WHERE p.id <> f.first),
           coalesce(sum(p.helpful_count + p.thanks_count + p.insightful_count), 0),
           count(*) FILTER (WHERE t.accepted_post_id = p.id)
      FROM posts p JOIN threads t ON t.id = p.thread_id
      JOIN (SELECT thread_id, min(id) AS first FROM posts GROUP BY thread_id) f ON f.thread_id = p.thread_id
     WHERE p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
     GROUP BY p.author_id, t.domain_id;
$$;

SELECT member_stats_rebuild();

CREATE INDEX repertoire_curated_idx ON repertoire_entries (curated_by) WHERE curated_by IS NOT NULL;
