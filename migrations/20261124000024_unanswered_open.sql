-- A locked question cannot be answered, so the unanswered queue leaves it out.
DROP INDEX threads_unanswered_idx;
CREATE INDEX threads_unanswered_idx ON threads (domain_id, (reply_count > 0), created_at, id)
    WHERE kind = 'question' AND accepted_post_id IS NULL AND NOT hidden AND NOT locked;
