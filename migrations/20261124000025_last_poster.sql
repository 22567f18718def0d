-- Thread lists show who posted last, as Discourse's do. It is kept on the thread by the trigger
-- that keeps the reply count, so a list reads it with one join rather than a query per row.
ALTER TABLE threads ADD COLUMN last_poster_id bigint REFERENCES users (id) ON DELETE SET NULL;

UPDATE threads t
   SET last_poster_id = (SELECT p.author_id FROM posts p
                          WHERE p.thread_id = t.id AND p.id <> (SELECT min(id) FROM posts WHERE thread_id = t.id)
                          ORDER BY p.created_at DESC, p.id DESC LIMIT 1)
 WHERE t.reply_count > 0;

CREATE OR REPLACE FUNCTION posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM posts WHERE thread_id = NEW.thread_id AND id < NEW.id) THEN
        UPDATE threads
           SET reply_count = reply_count + 1,
               last_poster_id = CASE WHEN NEW.created_at >= last_posted_at THEN NEW.author_id
                                     ELSE last_poster_id END,
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
