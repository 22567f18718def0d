-- Counters shown on lists are kept on write, by triggers, so every path that writes (the web
-- handlers, seeding, an admin in psql) keeps them right and no page counts rows per view.

CREATE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE domains SET member_count = member_count + 1 WHERE id = NEW.domain_id;
    ELSE
        UPDATE domains SET member_count = member_count - 1 WHERE id = OLD.domain_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER memberships_count AFTER INSERT OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count();

CREATE FUNCTION threads_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE domains
           SET thread_count = thread_count + 1,
               last_activity_at = greatest(last_activity_at, NEW.last_posted_at)
         WHERE id = NEW.domain_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE domains SET thread_count = thread_count - 1 WHERE id = OLD.domain_id;
    ELSIF NEW.domain_id <> OLD.domain_id THEN
        -- A thread moved to another domain.
        UPDATE domains SET thread_count = thread_count - 1 WHERE id = OLD.domain_id;
        UPDATE domains
           SET thread_count = thread_count + 1,
               last_activity_at = greatest(last_activity_at, NEW.last_posted_at)
         WHERE id = NEW.domain_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER threads_count AFTER INSERT OR DELETE OR UPDATE OF domain_id ON threads
    FOR EACH ROW EXECUTE FUNCTION threads_count();

-- A thread's first post is its opening; every later one is a reply.
CREATE FUNCTION posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM posts WHERE thread_id = NEW.thread_id AND id < NEW.id) THEN
        UPDATE threads
           SET reply_count = reply_count + 1,
               last_posted_at = greatest(last_posted_at, NEW.created_at)
         WHERE id = NEW.thread_id;
    END IF;
    UPDATE domains d
       SET last_activity_at = greatest(d.last_activity_at, NEW.created_at)
      FROM threads t
     WHERE t.id = NEW.thread_id AND d.id = t.domain_id;
    RETURN NULL;
END $$;

CREATE TRIGGER posts_count AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_count();
