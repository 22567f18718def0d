-- Bookmarks with a reminder ("remind me tomorrow"): when remind_at passes, the reminder job
-- turns the bookmark's reminder into a notification and clears it. The partial index is all the
-- job reads.
ALTER TABLE bookmarks ADD COLUMN remind_at timestamptz;
CREATE INDEX bookmarks_remind_idx ON bookmarks (remind_at) WHERE remind_at IS NOT NULL;
