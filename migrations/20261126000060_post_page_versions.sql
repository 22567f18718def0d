-- What a thread page's posts look like is kept in each process (`pages::cached_posts`) and
-- checked against two numbers, read in the same statement as the viewer's marks: the thread's
-- `posts_version`, moved by every write to one of its posts, and `post_authors_version`, moved
-- by every change to what a post shows of its author (name, picture, admin or facilitator).
-- The numbers live here, not in the processes, so a write made anywhere (another process, a
-- script, psql) is seen by the next page that reads them.

ALTER TABLE threads ADD COLUMN posts_version bigint NOT NULL DEFAULT 0;

CREATE TABLE post_authors_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version bigint NOT NULL
);
INSERT INTO post_authors_version (version) VALUES (0);

-- A post written: the thread's row is updated here already, so the version moves with it.
-- Otherwise as migration 57 left it.
CREATE OR REPLACE FUNCTION posts_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t threads;
BEGIN
    IF NEW.number > 1 THEN
        UPDATE threads
           SET reply_count = reply_count + 1,
               last_poster_id = CASE WHEN NEW.created_at >= last_posted_at THEN NEW.author_id
                                     ELSE last_poster_id END,
               last_posted_at = greatest(last_posted_at, NEW.created_at),
               posts_version = posts_version + 1
         WHERE id = NEW.thread_id
        RETURNING * INTO t;
        UPDATE thread_reads
           SET behind = true
         WHERE thread_id = NEW.thread_id AND NOT behind AND last_read_number < NEW.number;
    ELSE
        UPDATE threads SET posts_version = posts_version + 1
         WHERE id = NEW.thread_id
        RETURNING * INTO t;
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

-- A post changed (edited, hidden, deleted, reacted to, moved with its thread or to another
-- thread) or removed: once per statement, for every thread it touched, old and new.
CREATE FUNCTION posts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE threads SET posts_version = posts_version + 1
     WHERE id IN (SELECT thread_id FROM old_posts UNION SELECT thread_id FROM new_posts);
    RETURN NULL;
END $$;

CREATE FUNCTION posts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE threads SET posts_version = posts_version + 1
     WHERE id IN (SELECT thread_id FROM old_posts);
    RETURN NULL;
END $$;

CREATE TRIGGER posts_changed AFTER UPDATE ON posts
    REFERENCING OLD TABLE AS old_posts NEW TABLE AS new_posts
    FOR EACH STATEMENT EXECUTE FUNCTION posts_changed();
CREATE TRIGGER posts_removed AFTER DELETE ON posts
    REFERENCING OLD TABLE AS old_posts
    FOR EACH STATEMENT EXECUTE FUNCTION posts_removed();

CREATE FUNCTION post_authors_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_authors_version SET version = version + 1;
    RETURN NULL;
END $$;

-- Only the columns a post shows of its author: a sign-in or a new bio leaves pages be.
CREATE TRIGGER users_shown_on_posts AFTER UPDATE OF username, display_name, site_role,
                                                    avatar_upload_id ON users
    FOR EACH ROW
    WHEN ((OLD.username, OLD.display_name, OLD.site_role, OLD.avatar_upload_id)
          IS DISTINCT FROM (NEW.username, NEW.display_name, NEW.site_role, NEW.avatar_upload_id))
    EXECUTE FUNCTION post_authors_changed();
-- A role in the domain shows beside the author's name.
CREATE TRIGGER memberships_shown_on_posts AFTER INSERT OR DELETE OR UPDATE OF role
    ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION post_authors_changed();
