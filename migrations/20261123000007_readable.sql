-- The one definition of what a viewer may read. Every query that shows domain content to a
-- viewer goes through these functions, so the rule is written once:
--   a domain is readable when it is not archived and is public, or the viewer belongs to it,
--   or the viewer is a site admin;
--   a thread is listed when its domain is readable and it is not hidden;
--   a post is listed when its thread is listed and it is neither hidden nor deleted.
-- (Facilitators also see hidden content inside their own domain: that is the single-object
-- check in `forum::access`, which reads `domain_readable` from here.)
--
-- Each is a single SQL SELECT, STABLE and not STRICT, so PostgreSQL inlines it into the calling
-- query: the planner sees plain joins and uses the same indexes as before.

CREATE FUNCTION readable_domains(viewer_id bigint) RETURNS SETOF domains
LANGUAGE sql STABLE AS $$
    SELECT d.*
      FROM domains d
     WHERE d.archived_at IS NULL
       AND (d.visibility = 'public'
            OR EXISTS (SELECT 1 FROM memberships m WHERE m.domain_id = d.id AND m.user_id = viewer_id)
            OR EXISTS (SELECT 1 FROM users u WHERE u.id = viewer_id AND u.site_role = 'admin'))
$$;

CREATE FUNCTION listed_threads(viewer_id bigint) RETURNS SETOF threads
LANGUAGE sql STABLE AS $$
    SELECT t.*
      FROM threads t
     WHERE NOT t.hidden
       AND EXISTS (SELECT 1 FROM readable_domains(viewer_id) d WHERE d.id = t.domain_id)
$$;

CREATE FUNCTION listed_posts(viewer_id bigint) RETURNS SETOF posts
LANGUAGE sql STABLE AS $$
    SELECT p.*
      FROM posts p
     WHERE p.deleted_at IS NULL AND NOT p.hidden
       AND EXISTS (SELECT 1 FROM listed_threads(viewer_id) t WHERE t.id = p.thread_id)
$$;

-- Whether one domain is readable: for pages about a single domain, thread or entry.
CREATE FUNCTION domain_readable(domain_id bigint, viewer_id bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM readable_domains(viewer_id) d WHERE d.id = domain_id)
$$;
