-- A suspended admin reads nothing beyond what a visitor does: the one readability rule now
-- says so, so notifications (which ask it per recipient) no longer reach them either.
CREATE OR REPLACE FUNCTION readable_domains(viewer_id bigint) RETURNS SETOF domains
LANGUAGE sql STABLE AS $$
    SELECT d.*
      FROM domains d
     WHERE d.archived_at IS NULL
       AND (d.visibility = 'public'
            OR EXISTS (SELECT 1 FROM memberships m WHERE m.domain_id = d.id AND m.user_id = viewer_id)
            OR EXISTS (SELECT 1 FROM users u
                        WHERE u.id = viewer_id AND u.site_role = 'admin'
                          AND (u.suspended_until IS NULL OR u.suspended_until <= now())))
$$;
