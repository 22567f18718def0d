-- Drafts (forum::drafts): the composer's text kept on the server, one per member and reply form
-- (a thread) or new-thread form (a domain), shown again when the member comes back and deleted
-- when the post is made.
CREATE TABLE drafts (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id  bigint REFERENCES threads (id) ON DELETE CASCADE,
    domain_id  bigint REFERENCES domains (id) ON DELETE CASCADE,
    title      text NOT NULL DEFAULT '' CHECK (length(title) <= 1000),
    kind       text NOT NULL DEFAULT '' CHECK (length(kind) <= 20),
    body       text NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- A draft is of exactly one form.
    CHECK ((thread_id IS NULL) <> (domain_id IS NULL))
);
CREATE UNIQUE INDEX drafts_reply_key ON drafts (user_id, thread_id) WHERE thread_id IS NOT NULL;
CREATE UNIQUE INDEX drafts_new_thread_key ON drafts (user_id, domain_id) WHERE domain_id IS NOT NULL;
CREATE INDEX drafts_user_idx ON drafts (user_id, updated_at DESC);
