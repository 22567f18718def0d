-- Optimistic concurrency: an edit form carries the version it was opened on, and a save is
-- accepted only while that is still the current one. A stale save comes back as a conflict
-- showing both texts, instead of silently dropping one of them.
ALTER TABLE posts ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE repertoire_entries ADD COLUMN version integer NOT NULL DEFAULT 1;

-- Each create form carries a random key. The first request with a key records it in the same
-- transaction as what it creates; a repeat (a double click, a resent form) finds the key and is
-- sent to what the first one made. Keys are forgotten after a day by the housekeeping.
CREATE TABLE submissions (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        text NOT NULL,
    -- Where the first request sent the member; filled in before that request commits.
    target     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX submissions_created_idx ON submissions (created_at);
