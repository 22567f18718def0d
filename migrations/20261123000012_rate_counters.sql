-- Rate limits as counters per fixed window, bumped and read in one statement
-- (INSERT … ON CONFLICT … RETURNING), so parallel requests cannot all pass a check made before
-- any of them was recorded. Replaces the log of attempts that was counted, then appended to.
CREATE TABLE rate_counters (
    bucket       text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

DROP TABLE auth_attempts;
