-- Invitations to a domain by email (auth::invitation): the link (only its hash stored) lets a
-- new person choose a username and password and lands them in the domain, or lets someone who
-- already has an account join it. Works once, for two weeks.
CREATE TABLE invitations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    email       text NOT NULL,
    domain_id   bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    invited_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by bigint REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX invitations_domain_idx ON invitations (domain_id, created_at DESC);
