-- From the edge to the centre (cultivate::mentoring): members offer to mentor in a domain on
-- some topics; a newcomer asks for a mentor, choosing one who offered or leaving the choice to
-- the domain's facilitators; the pairing shows on both profiles and in the health view.
CREATE TABLE mentor_offers (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id  bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    tags       text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain_id, user_id)
);

CREATE TABLE mentorships (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id    bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    newcomer_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- None while the request waits for a facilitator to choose.
    mentor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    requested_at timestamptz NOT NULL DEFAULT now(),
    paired_at    timestamptz,
    CHECK (mentor_id IS NULL OR mentor_id <> newcomer_id),
    CHECK ((mentor_id IS NULL) = (paired_at IS NULL)),
    -- One request or pairing per newcomer and domain.
    UNIQUE (domain_id, newcomer_id)
);
CREATE INDEX mentorships_mentor_idx ON mentorships (mentor_id) WHERE mentor_id IS NOT NULL;
CREATE INDEX mentorships_newcomer_idx ON mentorships (newcomer_id);

-- Profiles (public pages) show pairings.
CREATE TRIGGER mentorships_notify_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mentorships
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed();
CREATE TRIGGER mentor_offers_notify_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mentor_offers
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed();
