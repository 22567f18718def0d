-- Scheduled work (clean-ups, reminders). Every server process looks every few seconds; a job is
-- claimed for its due time by one conditional UPDATE, so with several processes it runs once
-- per due time. Admins read the last and next runs at /admin/jobs.
CREATE TABLE jobs (
    name             text PRIMARY KEY,
    every_seconds    integer NOT NULL CHECK (every_seconds > 0),
    next_run_at      timestamptz NOT NULL DEFAULT now(),
    last_started_at  timestamptz,
    last_finished_at timestamptz,
    last_duration_ms bigint,
    -- 'ok: …' or the error that stopped the last run.
    last_outcome     text,
    runs             bigint NOT NULL DEFAULT 0
);
