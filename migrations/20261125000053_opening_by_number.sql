-- A member's per-domain counts told an opening post from a reply by looking for an earlier
-- post in its thread, an index probe on every post written, edited, hidden or reacted to.
-- Posts are numbered in their thread (migration 52): the post numbered 1 opened it.
CREATE OR REPLACE FUNCTION member_stats_add(p posts, t threads, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    opening boolean := p.number = 1;
BEGIN
    INSERT INTO member_stats AS s (user_id, domain_id, threads, replies, reactions_received, accepted_answers)
    VALUES (p.author_id, t.domain_id,
            sign * opening::integer, sign * (NOT opening)::integer,
            sign * (p.helpful_count + p.thanks_count + p.insightful_count),
            sign * (t.accepted_post_id IS NOT DISTINCT FROM p.id)::integer)
    ON CONFLICT (user_id, domain_id) DO UPDATE
       SET threads = s.threads + EXCLUDED.threads,
           replies = s.replies + EXCLUDED.replies,
           reactions_received = s.reactions_received + EXCLUDED.reactions_received,
           accepted_answers = s.accepted_answers + EXCLUDED.accepted_answers;
END $$;
