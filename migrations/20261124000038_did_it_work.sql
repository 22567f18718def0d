-- "Did it work?" (integrate): some days after an answer is accepted (the domain's
-- followup_days), the asker is invited, once, to report back on the thread.
ALTER TABLE domains
    ADD COLUMN followup_days integer NOT NULL DEFAULT 14 CHECK (followup_days BETWEEN 1 AND 365);
ALTER TABLE threads ADD COLUMN followup_sent_at timestamptz;
-- Threads whose invitation may still be due.
CREATE INDEX threads_followup_due_idx ON threads (accepted_at)
    WHERE accepted_post_id IS NOT NULL AND followup_sent_at IS NULL;
