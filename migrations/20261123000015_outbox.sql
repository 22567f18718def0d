-- Every message the site sends. A message is written here in the same transaction as the act
-- that causes it; a worker in each server process claims due messages (FOR UPDATE SKIP LOCKED,
-- so two processes never take the same one) and sends them over SMTP. Without SMTP configured
-- nothing is sent, and admins read the messages at /admin/outbox.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint REFERENCES users (id) ON DELETE SET NULL,
    to_address      text NOT NULL,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    message_id      text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A claim lasts a minute: a process that dies mid-send lets another retry after it.
    claimed_until   timestamptz,
    sent_at         timestamptz,
    failed_at       timestamptz,
    last_error      text
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
