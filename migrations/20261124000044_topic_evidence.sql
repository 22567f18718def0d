-- Evidence of expertise kept on write, per topic, domain and member. The directory summed it
-- from threads, posts and entries on every request: 26 ms a page for a common topic at the
-- small scale, 135 ms at a million posts. The profile looked only at a member's newest 1 000
-- posts to stay fast; the counts cover their whole history.
--
-- What counts, as `expertise_evidence` counted it: on a visible thread tagged with the topic,
-- the author of its accepted answer (if that post is visible) and every helpful reaction to a
-- visible post (members cannot react to their own posts, so `posts.helpful_count` is the
-- count from others); an entry tagged with the topic counts once for its curator, and its
-- "worked" reports count for them too.
CREATE TABLE topic_evidence (
    tag       text NOT NULL,
    domain_id bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    accepted  integer NOT NULL DEFAULT 0,
    helpful   integer NOT NULL DEFAULT 0,
    curated   integer NOT NULL DEFAULT 0,
    worked    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tag, domain_id, user_id)
);

CREATE INDEX topic_evidence_user_idx ON topic_evidence (user_id);

-- Adds `sign` times one thing's evidence: rows of (user, accepted, helpful, curated, worked)
-- under each of `tags` in `domain`. A row left with nothing is removed.
CREATE FUNCTION topic_evidence_add(tags text[], domain bigint, sign integer, acts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF domain IS NULL OR cardinality(tags) = 0 OR jsonb_array_length(acts) = 0 THEN
        RETURN;
    END IF;
    -- In key order, so two writers touching the same rows take their locks in the same order.
    INSERT INTO topic_evidence AS e (tag, domain_id, user_id, accepted, helpful, curated, worked)
    SELECT tag, domain, a.user_id, sign * a.accepted, sign * a.helpful, sign * a.curated,
           sign * a.worked
      FROM (SELECT DISTINCT unnest(tags) AS tag) t,
           jsonb_to_recordset(acts) AS a (user_id bigint, accepted integer, helpful integer,
                                          curated integer, worked integer)
     ORDER BY tag, a.user_id
    ON CONFLICT (tag, domain_id, user_id) DO UPDATE
       SET accepted = e.accepted + EXCLUDED.accepted, helpful = e.helpful + EXCLUDED.helpful,
           curated = e.curated + EXCLUDED.curated, worked = e.worked + EXCLUDED.worked;
    DELETE FROM topic_evidence e
     WHERE e.tag = ANY (tags) AND e.domain_id = domain
       AND e.user_id IN (SELECT (a ->> 'user_id')::bigint FROM jsonb_array_elements(acts) a)
       AND e.accepted = 0 AND e.helpful = 0 AND e.curated = 0 AND e.worked = 0;
END $$;

-- A thread's evidence, as it stands with the given thread fields: its posts' authors with
-- whether theirs is the accepted answer and the helpful reactions they received.
-- (Arguments are named apart from every column: in a SQL function a column wins.)
CREATE FUNCTION thread_evidence(of_thread bigint, thread_hidden boolean, accepted_post bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'user_id', author_id, 'accepted', accepted, 'helpful', helpful,
               'curated', 0, 'worked', 0)), '[]')
      FROM (SELECT p.author_id, count(*) FILTER (WHERE p.id = accepted_post) AS accepted,
                   sum(p.helpful_count) AS helpful
              FROM posts p
             WHERE p.thread_id = of_thread AND NOT thread_hidden
               AND p.deleted_at IS NULL AND NOT p.hidden
               AND (p.id = accepted_post OR p.helpful_count > 0)
             GROUP BY p.author_id) s
$$;

-- Retagging, hiding, moving a thread or accepting an answer: take back what the thread
-- counted and count it again. (Each reply also updates the thread row, but not these columns.)
CREATE FUNCTION topic_evidence_thread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM topic_evidence_add(OLD.tags, OLD.domain_id, -1,
                               thread_evidence(OLD.id, OLD.hidden, OLD.accepted_post_id));
    PERFORM topic_evidence_add(NEW.tags, NEW.domain_id, 1,
                               thread_evidence(NEW.id, NEW.hidden, NEW.accepted_post_id));
    RETURN NULL;
END $$;

CREATE TRIGGER topic_evidence_thread AFTER UPDATE OF tags, hidden, domain_id, accepted_post_id
    ON threads FOR EACH ROW
    WHEN (OLD.tags IS DISTINCT FROM NEW.tags OR OLD.hidden IS DISTINCT FROM NEW.hidden
          OR OLD.domain_id IS DISTINCT FROM NEW.domain_id
          OR OLD.accepted_post_id IS DISTINCT FROM NEW.accepted_post_id)
    EXECUTE FUNCTION topic_evidence_thread();

-- One post's evidence: whether it is its thread's accepted answer, and its helpful reactions
-- (kept in `helpful_count` by the reactions' own trigger), if it and its thread are visible.
CREATE FUNCTION post_evidence(p posts, t threads) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN t.hidden OR p.deleted_at IS NOT NULL OR p.hidden
                  OR (p.id IS DISTINCT FROM t.accepted_post_id AND p.helpful_count = 0)
                THEN '[]'::jsonb
                ELSE jsonb_build_array(jsonb_build_object(
                         'user_id', p.author_id,
                         'accepted', (p.id IS NOT DISTINCT FROM t.accepted_post_id)::integer,
                         'helpful', p.helpful_count, 'curated', 0, 'worked', 0))
           END
$$;

CREATE FUNCTION topic_evidence_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t threads;
BEGIN
    SELECT * INTO t FROM threads WHERE id = NEW.thread_id;
    IF t.id IS NULL OR cardinality(t.tags) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM topic_evidence_add(t.tags, t.domain_id, -1, post_evidence(OLD, t));
    PERFORM topic_evidence_add(t.tags, t.domain_id, 1, post_evidence(NEW, t));
    RETURN NULL;
END $$;

CREATE TRIGGER topic_evidence_post AFTER UPDATE OF deleted_at, hidden, helpful_count ON posts
    FOR EACH ROW
    WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.hidden IS DISTINCT FROM NEW.hidden
          OR OLD.helpful_count IS DISTINCT FROM NEW.helpful_count)
    EXECUTE FUNCTION topic_evidence_post();

CREATE FUNCTION entry_evidence(e repertoire_entries) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN e.curated_by IS NULL THEN '[]'::jsonb
                ELSE jsonb_build_array(jsonb_build_object(
                         'user_id', e.curated_by, 'accepted', 0, 'helpful', 0,
                         'curated', 1, 'worked', e.worked_count))
           END
$$;

CREATE FUNCTION topic_evidence_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM topic_evidence_add(OLD.tags, OLD.domain_id, -1, entry_evidence(OLD));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM topic_evidence_add(NEW.tags, NEW.domain_id, 1, entry_evidence(NEW));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER topic_evidence_entry
    AFTER INSERT OR UPDATE OF tags, domain_id, curated_by, worked_count OR DELETE
    ON repertoire_entries FOR EACH ROW EXECUTE FUNCTION topic_evidence_entry();

-- Counts everything again from the rows (after a bulk load with triggers off).
CREATE FUNCTION topic_evidence_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM topic_evidence;
    INSERT INTO topic_evidence (tag, domain_id, user_id, accepted, helpful, curated, worked)
    SELECT tag, domain_id, user_id, sum(accepted), sum(helpful), sum(curated), sum(worked)
      FROM (
          SELECT tag, t.domain_id, p.author_id AS user_id,
                 (p.id IS NOT DISTINCT FROM t.accepted_post_id)::integer AS accepted, p.helpful_count AS helpful,
                 0 AS curated, 0 AS worked
            FROM threads t CROSS JOIN unnest(t.tags) AS tag
            JOIN posts p ON p.thread_id = t.id
           WHERE NOT t.hidden AND p.deleted_at IS NULL AND NOT p.hidden
             AND (p.id = t.accepted_post_id OR p.helpful_count > 0)
          UNION ALL
          SELECT tag, e.domain_id, e.curated_by, 0, 0, 1, e.worked_count
            FROM repertoire_entries e CROSS JOIN unnest(e.tags) AS tag
           WHERE e.curated_by IS NOT NULL
      ) acts
     GROUP BY tag, domain_id, user_id;
$$;

SELECT topic_evidence_rebuild();

-- The members directory shows it to visitors.
CREATE TRIGGER topic_evidence_notify_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON topic_evidence
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed();

-- The directory, the profile and the question form's suggestions all read the counts now.
CREATE OR REPLACE FUNCTION expertise_evidence(topic text, viewer bigint)
RETURNS TABLE (user_id bigint, accepted bigint, helpful bigint, curated bigint, worked bigint,
               score bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.user_id, sum(e.accepted), sum(e.helpful), sum(e.curated), sum(e.worked),
           sum(3 * e.accepted + e.helpful + 2 * e.curated + 2 * e.worked)
      FROM topic_evidence e
     WHERE e.tag = topic AND e.domain_id IN (SELECT id FROM readable_domains(viewer))
     GROUP BY e.user_id
$$;
