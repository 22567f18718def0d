-- Polls (forum::polls): a question put to the members in a thread's opening post, single or
-- multiple choice, optionally closing at a set time. Each member votes once (poll_voters is the
-- guard: its primary key lets one of two simultaneous votes in); results show after voting or
-- after the poll closes.
CREATE TABLE polls (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    bigint NOT NULL UNIQUE REFERENCES posts (id) ON DELETE CASCADE,
    multiple   boolean NOT NULL DEFAULT false,
    closes_at  timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE poll_options (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id  bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position integer NOT NULL,
    label    text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    UNIQUE (poll_id, position)
);

CREATE TABLE poll_voters (
    poll_id  bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    voted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, user_id)
);

CREATE TABLE poll_votes (
    poll_id   bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    option_id bigint NOT NULL REFERENCES poll_options (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (poll_id, user_id, option_id)
);
CREATE INDEX poll_votes_option_idx ON poll_votes (option_id);

-- A visitor's page shows a poll (and, once it closes, its results): every write tells the
-- page cache, as for every table public pages show.
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['polls', 'poll_options', 'poll_voters', 'poll_votes'] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                 FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed()',
            name || '_notify_pages', name);
    END LOOP;
END;
$$;
