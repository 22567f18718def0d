-- Live pages (live): new posts and changes to members' notifications are announced on the
-- `commonplace_live` channel, which one connection in each server process listens on and fans
-- out to the pages its members have open.
--
-- Statement-level triggers with transition tables: one notification per statement, delivered
-- at commit (never for a write that rolls back). A payload holds at most 8000 bytes, so a bulk
-- write says less: more than 100 posts at once (a community file, an import) is not announced
-- (nobody is watching a thread being imported), and more than 500 members notified at once is
-- announced as "many", after which every open page asks for its member's count.

CREATE FUNCTION notify_live_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commonplace_live',
                      json_build_object('posts', json_agg(json_build_array(id, thread_id)))::text)
       FROM (SELECT id, thread_id FROM new_posts LIMIT 101) AS p
     HAVING count(*) BETWEEN 1 AND 100;
    RETURN NULL;
END $$;

CREATE TRIGGER posts_notify_live AFTER INSERT ON posts
    REFERENCING NEW TABLE AS new_posts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_live_posts();

CREATE FUNCTION notify_live_notifications() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    members bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(user_id) INTO members
          FROM (SELECT DISTINCT user_id FROM changed LIMIT 501) AS n;
    ELSE
        -- Only reading (or unreading) changes the count; marking mailed does not.
        SELECT array_agg(user_id) INTO members
          FROM (SELECT DISTINCT n.user_id FROM changed n JOIN was o ON o.id = n.id
                 WHERE o.read_at IS DISTINCT FROM n.read_at LIMIT 501) AS n;
    END IF;
    IF members IS NULL THEN
        RETURN NULL;
    ELSIF cardinality(members) > 500 THEN
        PERFORM pg_notify('commonplace_live', '{"notified_many":true}');
    ELSE
        PERFORM pg_notify('commonplace_live', json_build_object('notified', members)::text);
    END IF;
    RETURN NULL;
END $$;

-- A new notification raises the count; reading one lowers it. (A trigger with transition
-- tables cannot name columns, so the function compares `read_at` itself.)
CREATE TRIGGER notifications_notify_live_new AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION notify_live_notifications();
CREATE TRIGGER notifications_notify_live_read AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS was NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION notify_live_notifications();
