-- Members flag a private message to the site's admins (moderation::message_flags). Nobody else
-- reads a conversation: an admin reads a flagged message on its review page, and each reading
-- is written to the audit log. A message the admins agree to hide keeps its row, shown to the
-- participants as hidden.
CREATE TABLE message_flags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    flagger_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (reason IN ('spam', 'inappropriate', 'other')),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolved_by bigint REFERENCES users (id) ON DELETE SET NULL,
    outcome     text CHECK (outcome IN ('agreed', 'disagreed'))
);
-- One open flag per member per message.
CREATE UNIQUE INDEX message_flags_open_key ON message_flags (message_id, flagger_id)
    WHERE resolved_at IS NULL;
CREATE INDEX message_flags_open_idx ON message_flags (created_at) WHERE resolved_at IS NULL;
CREATE INDEX message_flags_message_idx ON message_flags (message_id);

ALTER TABLE messages ADD COLUMN hidden_at timestamptz;
