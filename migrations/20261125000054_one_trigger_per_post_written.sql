-- Writing a post ran two row triggers before it and two after, seven statements among them:
-- the thread's row locked, then read again for its domain; the identity sequence looked up
-- by name in the catalog; the thread read once more for the member's counts and then updated
-- for its own; the domain found through the thread. One trigger before and one after now read
-- and update each row once: the reply statement took 6-8 % less time alone
-- (`docs/performance.md`, eighteenth session).

DO $$
BEGIN
    -- The trigger names the sequence; it must be the one the identity column draws from.
    ASSERT pg_get_serial_sequence('posts', 'id') = 'public.posts_id_seq';
END $$;

-- The thread's row is locked and its domain taken in one read.
CREATE OR REPLACE FUNCTION posts_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT domain_id INTO NEW.domain_id FROM threads WHERE id = NEW.thread_id FOR UPDATE;
    NEW.id := nextval('posts_id_seq'::regclass);
    NEW.number := coalesce((SELECT max(number) FROM posts WHERE thread_id = NEW.thread_id), 0) + 1;
    RETURN NEW;
END $$;

-- Still needed for a post moved to another thread.
DROP TRIGGER posts_take_thread_domain ON posts;
CREATE TRIGGER posts_take_thread_domain BEFORE UPDATE OF thread_id ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_take_thread_domain();

-- The thread's counters, the author's counts in the domain (`member_stats_add`) and the
-- domain's last activity, from the thread's row as the update leaves it.
CREATE FUNCTION posts_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t threads;
BEGIN
    IF NEW.number > 1 THEN
        UPDATE threads
           SET reply_count = reply_count + 1,
               last_poster_id = CASE WHEN NEW.created_at >= last_posted_at THEN NEW.author_id
                                     ELSE last_poster_id END,
               last_posted_at = greatest(last_posted_at, NEW.created_at)
         WHERE id = NEW.thread_id
        RETURNING * INTO t;
    ELSE
        SELECT * INTO t FROM threads WHERE id = NEW.thread_id;
    END IF;
    IF post_listed(NEW, t) THEN
        PERFORM member_stats_add(NEW, t, 1);
    END IF;
    UPDATE domains
       SET last_activity_at = NEW.created_at
     WHERE id = NEW.domain_id
       AND (last_activity_at IS NULL OR last_activity_at < NEW.created_at - interval '1 minute');
    RETURN NULL;
END $$;

DROP TRIGGER posts_count ON posts;
DROP FUNCTION posts_count();
CREATE TRIGGER posts_written AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_written();

-- A post's later changes (deleted, hidden, reacted to) still move the counts here.
DROP TRIGGER member_stats_post ON posts;
CREATE TRIGGER member_stats_post
    AFTER UPDATE OF deleted_at, hidden, helpful_count, thanks_count, insightful_count ON posts
    FOR EACH ROW EXECUTE FUNCTION member_stats_post();
