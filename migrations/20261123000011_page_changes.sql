-- Every write that can change a page an anonymous visitor sees announces itself on the
-- `commonplace_pages` channel, so each server process can drop its cached pages (web::page_cache).
-- One statement-level trigger per table: a bulk write notifies once, and PostgreSQL folds
-- identical notifications within a transaction into one, delivered at commit.
CREATE FUNCTION notify_pages_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commonplace_pages', '');
    RETURN NULL;
END;
$$;

-- Tables that only ever show on signed-in or staff pages are left out, so sign-ins, bookmarks,
-- follows and notifications do not empty the cache. A test checks that every other table has
-- the trigger, so a new table cannot be forgotten.
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN
        SELECT tablename FROM pg_tables
         WHERE schemaname = 'public'
           AND tablename NOT IN ('_sqlx_migrations', 'auth_attempts', 'password_resets',
                                 'notifications', 'bookmarks', 'thread_follows', 'flags',
                                 'audit_log')
    LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                 FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed()',
            name || '_notify_pages', name);
    END LOOP;
END;
$$;
