-- Registering through the site asks the new member to confirm their address: the form answers
-- "check your mail" whether or not the address already has an account, so it no longer tells
-- anyone who is a member. Accounts made by admins, the command line and community files are
-- confirmed when made (the default); registration writes NULL until the link is followed.
ALTER TABLE users ADD COLUMN email_confirmed_at timestamptz DEFAULT now();
UPDATE users SET email_confirmed_at = created_at;

CREATE TABLE email_confirmations (
    token_hash text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX email_confirmations_user_idx ON email_confirmations (user_id);
