-- Found by the benchmark harness (cargo run --release --bin bench): the domain page's recent
-- practice reports scanned every report to find five; with this index it walks the newest.
CREATE INDEX practice_reports_recent_idx ON practice_reports (created_at DESC, id DESC);

-- Posting serialised on one row: every reply's trigger updated its domain's last_activity_at,
-- so concurrent replies in a domain queued on that row's lock (74 % of active backends waited
-- on it at 750 replies/s). The domain's "last activity" is shown to the minute, so the row is
-- now written only when it is a minute or more behind: an UPDATE whose WHERE is false on the
-- row takes no lock.
CREATE OR REPLACE FUNCTION posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM posts WHERE thread_id = NEW.thread_id AND id < NEW.id) THEN
        UPDATE threads
           SET reply_count = reply_count + 1,
               last_posted_at = greatest(last_posted_at, NEW.created_at)
         WHERE id = NEW.thread_id;
    END IF;
    UPDATE domains d
       SET last_activity_at = NEW.created_at
      FROM threads t
     WHERE t.id = NEW.thread_id AND d.id = t.domain_id
       AND (d.last_activity_at IS NULL OR d.last_activity_at < NEW.created_at - interval '1 minute');
    RETURN NULL;
END $$;

-- Search after many writes: a GIN index's pending list grows until VACUUM, and every search
-- reads all of it. Thread titles are small, so their index takes entries directly; posts keep
-- a pending list, but a short one.
ALTER INDEX threads_search_idx SET (fastupdate = off);
ALTER INDEX posts_search_idx SET (gin_pending_list_limit = 256);
