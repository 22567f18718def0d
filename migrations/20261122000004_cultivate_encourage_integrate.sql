-- Reaction counts shown on every post are kept on write.
ALTER TABLE posts
    ADD COLUMN helpful_count    integer NOT NULL DEFAULT 0,
    ADD COLUMN thanks_count     integer NOT NULL DEFAULT 0,
    ADD COLUMN insightful_count integer NOT NULL DEFAULT 0;

CREATE FUNCTION reactions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE posts SET
            helpful_count    = helpful_count    + (NEW.kind = 'helpful')::integer,
            thanks_count     = thanks_count     + (NEW.kind = 'thanks')::integer,
            insightful_count = insightful_count + (NEW.kind = 'insightful')::integer
         WHERE id = NEW.post_id;
    ELSE
        UPDATE posts SET
            helpful_count    = helpful_count    - (OLD.kind = 'helpful')::integer,
            thanks_count     = thanks_count     - (OLD.kind = 'thanks')::integer,
            insightful_count = insightful_count - (OLD.kind = 'insightful')::integer
         WHERE id = OLD.post_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER reactions_count AFTER INSERT OR DELETE ON reactions
    FOR EACH ROW EXECUTE FUNCTION reactions_count();

-- Outcome tallies on repertoire entries, kept right when reports are added, edited or removed.
CREATE FUNCTION practice_reports_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.entry_id IS NOT NULL THEN
        UPDATE repertoire_entries SET
            reports_count = reports_count - 1,
            worked_count  = worked_count  - (OLD.outcome = 'worked')::integer,
            partly_count  = partly_count  - (OLD.outcome = 'partly')::integer,
            did_not_count = did_not_count - (OLD.outcome = 'did_not')::integer
         WHERE id = OLD.entry_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.entry_id IS NOT NULL THEN
        UPDATE repertoire_entries SET
            reports_count = reports_count + 1,
            worked_count  = worked_count  + (NEW.outcome = 'worked')::integer,
            partly_count  = partly_count  + (NEW.outcome = 'partly')::integer,
            did_not_count = did_not_count + (NEW.outcome = 'did_not')::integer
         WHERE id = NEW.entry_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER practice_reports_tally AFTER INSERT OR UPDATE OF outcome, entry_id OR DELETE ON practice_reports
    FOR EACH ROW EXECUTE FUNCTION practice_reports_tally();

-- A domain's spotlight: a post or an entry a facilitator featured, and why.
CREATE TABLE spotlights (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id   bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    post_id     bigint REFERENCES posts (id) ON DELETE CASCADE,
    entry_id    bigint REFERENCES repertoire_entries (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    featured_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((post_id IS NULL) <> (entry_id IS NULL))
);
CREATE INDEX spotlights_domain_idx ON spotlights (domain_id, created_at DESC);

-- "What we learned": practice reports a facilitator folded into an entry.
CREATE TABLE entry_learnings (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id   bigint NOT NULL REFERENCES repertoire_entries (id) ON DELETE CASCADE,
    report_id  bigint NOT NULL REFERENCES practice_reports (id) ON DELETE CASCADE,
    lesson     text NOT NULL,
    added_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (report_id)
);
CREATE INDEX entry_learnings_entry_idx ON entry_learnings (entry_id, id);

CREATE INDEX memberships_domain_joined_idx ON memberships (domain_id, joined_at);
CREATE INDEX posts_created_idx ON posts (created_at);
CREATE INDEX practice_reports_created_idx ON practice_reports (created_at DESC);
