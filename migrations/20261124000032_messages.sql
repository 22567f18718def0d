-- Private conversations (support::messages): members write to one or more members, and a
-- facilitator to a domain's members at once. Only the participants read a conversation; none
-- of these tables shows on a public page. A member may block another from messaging them.
CREATE TABLE conversations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    created_by     bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_posted_at timestamptz NOT NULL DEFAULT now(),
    -- Kept on write, as a thread's reply count is: the highest message number.
    message_count  integer NOT NULL DEFAULT 0
);

-- Who takes part, and how far each has read (messages are numbered by position, as posts are).
CREATE TABLE conversation_members (
    conversation_id  bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_number integer NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);

CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       bigint NOT NULL REFERENCES users (id),
    body_md         text NOT NULL CHECK (length(body_md) <= 100000),
    body_html       text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);

CREATE TABLE message_blocks (
    blocker_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id)
);

-- "ana wrote to you": a notification of a message points at its conversation.
ALTER TABLE notifications
    ADD COLUMN conversation_id bigint REFERENCES conversations (id) ON DELETE CASCADE;
