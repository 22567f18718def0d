-- Counts that pages used to compute per request, kept on write instead (measured at a million
-- posts: a profile's practice-report count 28 ms, a repertoire's tag and kind counts 17 and
-- 6 ms, the expertise tag list 41 ms, every time the page was shown).

-- A member's practice reports per domain (the domain of the entry or thread reported on), so
-- a profile's tally sums them over the readable domains like everything else in member_stats.
ALTER TABLE member_stats ADD COLUMN practice_reports integer NOT NULL DEFAULT 0;

CREATE FUNCTION report_domain(r practice_reports) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT domain_id FROM repertoire_entries WHERE id = r.entry_id),
                    (SELECT domain_id FROM threads WHERE id = r.thread_id))
$$;

CREATE FUNCTION member_stats_add_reports(author bigint, domain bigint, n integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- No domain: the subject went with a cascade that also takes the member's counters.
    IF domain IS NULL OR n = 0 THEN
        RETURN;
    END IF;
    INSERT INTO member_stats AS s (user_id, domain_id, practice_reports)
    VALUES (author, domain, n)
    ON CONFLICT (user_id, domain_id) DO UPDATE SET practice_reports = s.practice_reports + n;
END $$;

CREATE FUNCTION member_stats_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM member_stats_add_reports(OLD.author_id, report_domain(OLD), -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM member_stats_add_reports(NEW.author_id, report_domain(NEW), 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER member_stats_report AFTER INSERT OR UPDATE OF entry_id, thread_id, author_id OR DELETE
    ON practice_reports FOR EACH ROW EXECUTE FUNCTION member_stats_report();

-- A thread moved to another domain takes the reports on it along.
CREATE FUNCTION member_stats_thread_reports() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT author_id, count(*)::integer AS n FROM practice_reports
              WHERE thread_id = NEW.id GROUP BY author_id LOOP
        PERFORM member_stats_add_reports(r.author_id, OLD.domain_id, -r.n);
        PERFORM member_stats_add_reports(r.author_id, NEW.domain_id, r.n);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER member_stats_thread_reports AFTER UPDATE OF domain_id ON threads
    FOR EACH ROW WHEN (OLD.domain_id IS DISTINCT FROM NEW.domain_id)
    EXECUTE FUNCTION member_stats_thread_reports();

CREATE OR REPLACE FUNCTION member_stats_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM member_stats;
    INSERT INTO member_stats (user_id, domain_id, threads, replies, reactions_received, accepted_answers)
    SELECT p.author_id, t.domain_id,
           count(*) FILTER (WHERE p.id = f.first), count(*) FILTER (WHERE p.id <> f.first),
           coalesce(sum(p.helpful_count + p.thanks_count + p.insightful_count), 0),
           count(*) FILTER (WHERE t.accepted_post_id = p.id)
      FROM posts p JOIN threads t ON t.id = p.thread_id
      JOIN (SELECT thread_id, min(id) AS first FROM posts GROUP BY thread_id) f ON f.thread_id = p.thread_id
     WHERE p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
     GROUP BY p.author_id, t.domain_id;
    INSERT INTO member_stats AS s (user_id, domain_id, practice_reports)
    SELECT r.author_id, report_domain(r), count(*)
      FROM practice_reports r
     WHERE report_domain(r) IS NOT NULL
     GROUP BY 1, 2
    ON CONFLICT (user_id, domain_id) DO UPDATE SET practice_reports = EXCLUDED.practice_reports;
$$;

SELECT member_stats_rebuild();

-- A profile lists a member's newest reports: walk them in order and stop at the page.
DROP INDEX practice_reports_author_idx;
CREATE INDEX practice_reports_author_idx ON practice_reports (author_id, created_at DESC, id DESC);
-- "Learned from" is looked up for each report shown.
CREATE INDEX entry_learnings_report_idx ON entry_learnings (report_id);

-- How many entries a domain's repertoire has of each kind and under each tag.
CREATE TABLE repertoire_facets (
    domain_id bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    facet     text NOT NULL CHECK (facet IN ('kind', 'tag')),
    name      text NOT NULL,
    entries   integer NOT NULL,
    PRIMARY KEY (domain_id, facet, name)
);

CREATE FUNCTION repertoire_facets_add(e repertoire_entries, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO repertoire_facets AS f (domain_id, facet, name, entries)
    SELECT e.domain_id, facet, name, sign
      FROM (SELECT 'kind' AS facet, e.kind AS name
            UNION SELECT 'tag', tag FROM unnest(e.tags) AS tag) one
    ON CONFLICT (domain_id, facet, name) DO UPDATE SET entries = f.entries + sign;
    DELETE FROM repertoire_facets WHERE domain_id = e.domain_id AND entries <= 0;
END $$;

CREATE FUNCTION repertoire_facets_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM repertoire_facets_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM repertoire_facets_add(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER repertoire_facets_entry AFTER INSERT OR UPDATE OF kind, tags, domain_id OR DELETE
    ON repertoire_entries FOR EACH ROW EXECUTE FUNCTION repertoire_facets_entry();

CREATE FUNCTION repertoire_facets_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM repertoire_facets;
    INSERT INTO repertoire_facets (domain_id, facet, name, entries)
    SELECT domain_id, 'kind', kind, count(*) FROM repertoire_entries GROUP BY 1, 3
    UNION ALL
    SELECT domain_id, 'tag', tag, count(DISTINCT id) FROM repertoire_entries, unnest(tags) AS tag GROUP BY 1, 3;
$$;

SELECT repertoire_facets_rebuild();

-- How many members list each area of expertise. Suspended members are counted (a suspension
-- ends by the clock, with no write to count it by); the directory itself leaves them out.
CREATE TABLE expertise_counts (
    tag     text PRIMARY KEY,
    members integer NOT NULL
);

CREATE FUNCTION expertise_counts_add(tags text[], sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO expertise_counts AS c (tag, members)
    SELECT DISTINCT tag, sign FROM unnest(tags) AS tag
    ON CONFLICT (tag) DO UPDATE SET members = c.members + sign;
    DELETE FROM expertise_counts WHERE tag = ANY (tags) AND members <= 0;
END $$;

CREATE FUNCTION expertise_counts_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM expertise_counts_add(OLD.expertise, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM expertise_counts_add(NEW.expertise, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER expertise_counts_user AFTER INSERT OR UPDATE OF expertise OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION expertise_counts_user();

CREATE FUNCTION expertise_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM expertise_counts;
    INSERT INTO expertise_counts (tag, members)
    SELECT tag, count(DISTINCT id) FROM users, unnest(expertise) AS tag GROUP BY tag;
$$;

SELECT expertise_counts_rebuild();

CREATE INDEX expertise_counts_members_idx ON expertise_counts (members DESC, tag);

-- Both show on public pages (the repertoire list, the members directory).
CREATE TRIGGER repertoire_facets_notify_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repertoire_facets
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed();
CREATE TRIGGER expertise_counts_notify_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON expertise_counts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed();
