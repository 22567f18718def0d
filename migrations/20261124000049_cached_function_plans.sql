-- Three functions that pages call once per statement become PL/pgSQL, which keeps each
-- query's plan for the connection's life. A SQL function that PostgreSQL cannot inline (these
-- read tables, or hold a subquery) is parsed and planned again in every statement that calls
-- it. Measured alone with pgbench at a million posts, per call:
--   domain_readable (thread page, domain page, notifications)  0.16 ms -> 0.03 ms
--   new_since (a member's New count and lists)                 0.09 ms -> 0.02 ms
--   unread_badge (every page a member sees)                    0.08 ms -> 0.03 ms
-- Same bodies and results; parameters are qualified with the function's name, so a column
-- of the same name can never be read instead.
CREATE OR REPLACE FUNCTION domain_readable(domain_id bigint, viewer_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM readable_domains(domain_readable.viewer_id) d
                    WHERE d.id = domain_readable.domain_id);
END
$$;

CREATE OR REPLACE FUNCTION new_since(viewer_id bigint) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(p.previous_visit_at, u.created_at - interval '2 days')
              FROM users u LEFT JOIN member_presence p ON p.user_id = u.id
             WHERE u.id = new_since.viewer_id);
END
$$;

CREATE OR REPLACE FUNCTION unread_badge(member bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*)
              FROM (SELECT 1 FROM notifications n
                     WHERE n.user_id = unread_badge.member AND n.read_at IS NULL
                     LIMIT 100) unread);
END
$$;
