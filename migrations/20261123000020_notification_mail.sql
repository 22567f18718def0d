-- Notifications by email (support::mailing): each member chooses, per kind, to have them mailed
-- at once, in a daily summary, or never; mail goes only to members who have not been on the
-- site since the notification arrived.

-- When each member was last seen, written at most once a minute by the statement that loads the
-- signed-in member for each request (an UPDATE whose WHERE is false takes no lock). No foreign
-- key, so that write never checks one; a row left by a removed account is harmless.
CREATE TABLE member_presence (
    user_id bigint PRIMARY KEY,
    seen_at timestamptz NOT NULL
);
INSERT INTO member_presence (user_id, seen_at) SELECT id, created_at FROM users;

-- Every account has its row from the start, so the per-request write is only ever an UPDATE.
CREATE FUNCTION member_presence_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_presence (user_id, seen_at) VALUES (NEW.id, NEW.created_at)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER member_presence_new_user AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION member_presence_new_user();

-- A member's choice for one kind of notification; no row means the kind's default.
CREATE TABLE mail_preferences (
    user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     text NOT NULL,
    delivery text NOT NULL CHECK (delivery IN ('immediately', 'daily', 'never')),
    PRIMARY KEY (user_id, kind)
);

-- When a notification was mailed (alone or in a summary). Notifications written before mail
-- existed count as mailed: nobody is sent their history.
ALTER TABLE notifications ADD COLUMN mailed_at timestamptz;
UPDATE notifications SET mailed_at = created_at;
CREATE INDEX notifications_unmailed_idx ON notifications (created_at)
    WHERE mailed_at IS NULL AND read_at IS NULL;

-- The secret in a member's unsubscribe links, made the first time one is mailed.
ALTER TABLE users ADD COLUMN mail_token text UNIQUE;

-- Headers a notification carries so mail clients group a domain's and a thread's messages, and
-- offer one-click unsubscribe (RFC 2919, RFC 5322 threading, RFC 8058).
ALTER TABLE outbox ADD COLUMN list_id text,
                   ADD COLUMN thread_key text,
                   ADD COLUMN unsubscribe_url text;
