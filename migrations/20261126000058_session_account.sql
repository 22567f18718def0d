-- A session's row names the account it is signed in as, so that loading the session checks the
-- account in the same statement (`auth::store`): one statement and one connection fewer for
-- every request a member makes.
--
-- The table was made by tower-sessions' own store after these migrations ran; `auth::store`
-- replaces that store, so it is made here (as that store made it) where it does not exist yet.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id text PRIMARY KEY NOT NULL,
    data bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);

-- The account and its session epoch as the session's record holds them (`auth::session`);
-- NULL for a visitor, and for sessions written before this migration: those are checked by a
-- statement of their own until they are next written, at the latest on the member's next day
-- on the site (`auth::session::keep_alive`).
ALTER TABLE tower_sessions.session ADD COLUMN user_id bigint, ADD COLUMN epoch integer;
