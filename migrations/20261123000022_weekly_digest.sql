-- The weekly domain digest (digest): when a question was solved, what was found helpful this
-- week, and whether a member wants the digest.

-- When the accepted answer was chosen. Questions solved before this column existed have none:
-- they were not solved "this week".
ALTER TABLE threads ADD COLUMN accepted_at timestamptz;
CREATE INDEX threads_accepted_idx ON threads (domain_id, accepted_at) WHERE accepted_at IS NOT NULL;

-- The week's reactions, without reading every reaction ever given.
CREATE INDEX reactions_created_idx ON reactions (created_at);

-- The digest is a choice among the others: kind 'digest', delivered 'weekly' (the default) or
-- 'never'.
ALTER TABLE mail_preferences DROP CONSTRAINT mail_preferences_delivery_check;
ALTER TABLE mail_preferences ADD CONSTRAINT mail_preferences_delivery_check
    CHECK (delivery IN ('immediately', 'daily', 'weekly', 'never'));
