-- How much each kind of evidence weighs, in one place: the directory and the profile both rank
-- by this column (the weights were written out in each of their statements).
ALTER TABLE topic_evidence
    ADD COLUMN score integer GENERATED ALWAYS AS (3 * accepted + helpful + 2 * curated + 2 * worked) STORED;

CREATE OR REPLACE FUNCTION expertise_evidence(topic text, viewer bigint)
RETURNS TABLE (user_id bigint, accepted bigint, helpful bigint, curated bigint, worked bigint,
               score bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.user_id, sum(e.accepted), sum(e.helpful), sum(e.curated), sum(e.worked), sum(e.score)
      FROM topic_evidence e
     WHERE e.tag = topic AND e.domain_id IN (SELECT id FROM readable_domains(viewer))
     GROUP BY e.user_id
$$;
