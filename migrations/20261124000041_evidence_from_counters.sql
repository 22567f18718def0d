-- Evidence of expertise counts "worked" from each entry's kept `worked_count` rather than by
-- joining its practice reports: a common topic's thousands of reports made the directory cost
-- 42 ms a page at the small scale. The curator's own reports now count too.
CREATE OR REPLACE FUNCTION expertise_evidence(topic text, viewer bigint)
RETURNS TABLE (user_id bigint, accepted bigint, helpful bigint, curated bigint, worked bigint,
               score bigint)
LANGUAGE sql STABLE AS $$
    WITH readable AS (SELECT id FROM readable_domains(viewer)),
    tagged_threads AS (
        SELECT t.id, t.accepted_post_id FROM threads t
         WHERE t.tags @> ARRAY[topic] AND NOT t.hidden AND t.domain_id IN (SELECT id FROM readable)
    ),
    tagged_entries AS (
        SELECT e.id, e.curated_by, e.worked_count FROM repertoire_entries e
         WHERE e.tags @> ARRAY[topic] AND e.curated_by IS NOT NULL
           AND e.domain_id IN (SELECT id FROM readable)
    ),
    acts AS (
        SELECT p.author_id AS user_id, 1 AS accepted, 0 AS helpful, 0 AS curated, 0 AS worked
          FROM tagged_threads t JOIN posts p ON p.id = t.accepted_post_id
         WHERE p.deleted_at IS NULL AND NOT p.hidden
        UNION ALL
        SELECT p.author_id, 0, 1, 0, 0
          FROM tagged_threads t
          JOIN posts p ON p.thread_id = t.id AND p.deleted_at IS NULL AND NOT p.hidden
          JOIN reactions r ON r.post_id = p.id AND r.kind = 'helpful' AND r.user_id <> p.author_id
        UNION ALL
        SELECT curated_by, 0, 0, 1, worked_count FROM tagged_entries
    )
    SELECT user_id, sum(accepted), sum(helpful), sum(curated), sum(worked),
           sum(3 * accepted + helpful + 2 * curated + 2 * worked)
      FROM acts GROUP BY user_id
$$;
