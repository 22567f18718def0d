-- Two changes counting the same (topic, member) pair at once could each count without the
-- other's, and the later write would drop the earlier one's evidence: for example two helpful
-- reactions to one member's posts in two domains, or a new listing beside a reaction. Counting
-- now locks the members' rows first (in id order, `FOR NO KEY UPDATE`: posts and reactions
-- that only reference the member are not held up), so the second count waits for the first to
-- commit and then reads what it wrote. Row locks, unlike advisory ones, take no room in the
-- shared lock table, however many pairs a change counts.

-- The count itself, unchanged; its caller now holds the locks.
ALTER FUNCTION topic_standing_recount(text[], bigint[]) RENAME TO topic_standing_count;

CREATE FUNCTION topic_standing_recount(tags text[], members bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users WHERE id = ANY (members) ORDER BY id FOR NO KEY UPDATE;
    PERFORM topic_standing_count(tags, members);
END $$;
