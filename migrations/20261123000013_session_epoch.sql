-- A session is good only while its account's epoch is the one it was signed in under. Changing
-- or resetting the password moves the epoch on, which ends every other session at once
-- (sessions are opaque rows in tower_sessions.session, so they cannot be found by account).
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
