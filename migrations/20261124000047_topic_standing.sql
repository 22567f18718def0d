-- The expertise directory's ranking, kept on write. Ranking every member with evidence on a
-- topic per request took 24 ms for "compost" at a million posts (5 758 members with evidence,
-- 2 861 who list it). `topic_standing` holds, per topic and member, whether they list the topic
-- and their evidence in the domains every visitor may read (`readable_domains(NULL)`), indexed
-- in the directory's order, so a page is an index range. A reader of private domains has the
-- evidence there added at read time (`support::queries::experts`).

-- How much each kind of evidence weighs, now in one place: the generated columns of
-- `topic_evidence` and `topic_standing` both use it.
CREATE FUNCTION evidence_score(accepted_n integer, helpful_n integer, curated_n integer,
                               worked_n integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 3 * accepted_n + helpful_n + 2 * curated_n + 2 * worked_n
$$;

ALTER TABLE topic_evidence DROP COLUMN score;
ALTER TABLE topic_evidence
    ADD COLUMN score integer GENERATED ALWAYS AS (evidence_score(accepted, helpful, curated, worked)) STORED;

CREATE TABLE topic_standing (
    tag      text NOT NULL,
    user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Usernames never change, so the directory's tie-break can live in the index.
    username text NOT NULL,
    listed   boolean NOT NULL,
    accepted integer NOT NULL,
    helpful  integer NOT NULL,
    curated  integer NOT NULL,
    worked   integer NOT NULL,
    score    integer GENERATED ALWAYS AS (evidence_score(accepted, helpful, curated, worked)) STORED,
    PRIMARY KEY (tag, user_id)
);

-- Highest score first, then by username: `-score` keeps one direction, so a page's cursor is
-- a row comparison the index can start from.
CREATE INDEX topic_standing_rank_idx ON topic_standing (tag, (-score), username);

-- Counts (tag, member) pairs again from `topic_evidence` and `users.expertise`: a row for each
-- pair with public evidence or a listing, none for the others.
CREATE FUNCTION topic_standing_recount(tags text[], members bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH pairs AS (
        SELECT DISTINCT tag, user_id FROM unnest(tags, members) AS p (tag, user_id)
    ),
    counted AS (
        SELECT p.tag, p.user_id, u.username, p.tag = ANY (u.expertise) AS listed,
               coalesce(sum(e.accepted), 0) AS accepted, coalesce(sum(e.helpful), 0) AS helpful,
               coalesce(sum(e.curated), 0) AS curated, coalesce(sum(e.worked), 0) AS worked,
               coalesce(sum(e.score), 0) AS score
          FROM pairs p
          JOIN users u ON u.id = p.user_id
          LEFT JOIN topic_evidence e
            ON e.tag = p.tag AND e.user_id = p.user_id
           AND e.domain_id IN (SELECT id FROM readable_domains(NULL))
         GROUP BY p.tag, p.user_id, u.username, u.expertise
    ),
    gone AS (
        DELETE FROM topic_standing s
         USING pairs p
         WHERE s.tag = p.tag AND s.user_id = p.user_id
           AND NOT EXISTS (SELECT 1 FROM counted c
                            WHERE c.tag = s.tag AND c.user_id = s.user_id
                              AND (c.listed OR c.score > 0))
    )
    -- In key order, so two writers touching the same rows take their locks in the same order.
    INSERT INTO topic_standing AS s (tag, user_id, username, listed, accepted, helpful, curated,
                                     worked)
    SELECT tag, user_id, username, listed, accepted, helpful, curated, worked
      FROM counted c
     WHERE c.listed OR c.score > 0
     ORDER BY tag, user_id
    ON CONFLICT (tag, user_id) DO UPDATE
       SET listed = EXCLUDED.listed, accepted = EXCLUDED.accepted, helpful = EXCLUDED.helpful,
           curated = EXCLUDED.curated, worked = EXCLUDED.worked
     WHERE (s.listed, s.accepted, s.helpful, s.curated, s.worked)
           IS DISTINCT FROM (EXCLUDED.listed, EXCLUDED.accepted, EXCLUDED.helpful,
                             EXCLUDED.curated, EXCLUDED.worked);
END $$;

CREATE FUNCTION topic_standing_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM topic_standing_recount(ARRAY[OLD.tag], ARRAY[OLD.user_id]);
    ELSE
        PERFORM topic_standing_recount(ARRAY[NEW.tag], ARRAY[NEW.user_id]);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER topic_standing_evidence AFTER INSERT OR UPDATE OR DELETE ON topic_evidence
    FOR EACH ROW EXECUTE FUNCTION topic_standing_evidence();

-- A member lists or stops listing topics.
CREATE FUNCTION topic_standing_listing() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[] := ARRAY(
        SELECT tag FROM unnest(NEW.expertise) AS tag
        UNION
        SELECT tag FROM unnest(CASE WHEN TG_OP = 'UPDATE' THEN OLD.expertise END) AS tag);
BEGIN
    IF cardinality(changed) > 0 THEN
        PERFORM topic_standing_recount(changed, array_fill(NEW.id, ARRAY[cardinality(changed)]));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER topic_standing_listing AFTER INSERT OR UPDATE OF expertise ON users
    FOR EACH ROW EXECUTE FUNCTION topic_standing_listing();

-- A domain turns private or public, or is archived or restored: everything counted in it.
CREATE FUNCTION topic_standing_domain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM topic_standing_recount(array_agg(tag), array_agg(user_id))
       FROM topic_evidence WHERE domain_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER topic_standing_domain AFTER UPDATE OF visibility, archived_at ON domains
    FOR EACH ROW
    WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility
          OR OLD.archived_at IS DISTINCT FROM NEW.archived_at)
    EXECUTE FUNCTION topic_standing_domain();

CREATE FUNCTION topic_standing_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM topic_standing;
    SELECT topic_standing_recount(array_agg(tag), array_agg(user_id))
      FROM (SELECT tag, user_id FROM topic_evidence
            UNION
            SELECT tag, id FROM users CROSS JOIN unnest(expertise) AS tag) pairs;
$$;

SELECT topic_standing_rebuild();

-- The members directory shows it to visitors.
CREATE TRIGGER topic_standing_notify_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON topic_standing
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed();

ANALYZE topic_standing;
