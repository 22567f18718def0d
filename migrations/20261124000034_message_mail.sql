-- A message's notification names the message, so its mail can quote it (support::mailing).
ALTER TABLE notifications
    ADD COLUMN message_id bigint REFERENCES messages (id) ON DELETE CASCADE;
CREATE INDEX notifications_message_idx ON notifications (message_id) WHERE message_id IS NOT NULL;
