-- One-time password reset links that admins hand to members. Only a hash of the token is kept,
-- so a database dump does not hand out working links.
CREATE TABLE password_resets (
    token_hash text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC);
CREATE INDEX flags_post_idx ON flags (post_id);
