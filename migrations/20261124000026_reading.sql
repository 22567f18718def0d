-- Unread and new, as Discourse keeps them (forum::reading): one row per member and thread the
-- member has opened or written in, never a row per post. A post's number is its position in
-- the thread (posts are only ever soft-deleted, so numbers do not move), and the thread's
-- highest number is reply_count + 1; a list's "N new" is that minus the member's
-- last_read_number, read with one join.
CREATE TABLE thread_reads (
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id         bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    last_read_number  integer NOT NULL CHECK (last_read_number >= 1),
    last_read_post_id bigint NOT NULL,
    read_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, thread_id)
);
CREATE INDEX thread_reads_thread_idx ON thread_reads (thread_id);

-- A visit starts when a member comes back after an hour away; threads started since the previous
-- visit, and not opened, are "new". Written by the same once-a-minute statement as seen_at.
ALTER TABLE member_presence ADD COLUMN previous_visit_at timestamptz;

-- Since when a member's unopened threads count as new: their previous visit, or on their first
-- visit the two days before they registered, so that a newcomer sees what is current.
CREATE FUNCTION new_since(viewer_id bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce(p.previous_visit_at, u.created_at - interval '2 days')
      FROM users u LEFT JOIN member_presence p ON p.user_id = u.id
     WHERE u.id = viewer_id
$$;

