-- Mentoring tells the people it concerns (cultivate::mentoring): a notification may point at a
-- domain's mentors page.
ALTER TABLE notifications ADD COLUMN domain_id bigint REFERENCES domains (id) ON DELETE CASCADE;
CREATE INDEX notifications_domain_idx ON notifications (domain_id) WHERE domain_id IS NOT NULL;
