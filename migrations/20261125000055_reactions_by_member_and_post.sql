-- A member's reactions on a page of posts are read as one range of this index, from the
-- smallest of the page's post ids to the largest (narrow, since a thread's posts take ids in
-- the order of their numbers): looking each post up in the primary key took two buffers a
-- post, 95 for a 47-post page. With the kind in it, the range is read from the index alone, so
-- the planner prefers it to the primary key's range of posts, which holds every member's
-- reactions. The index on the member alone served only the cascade from a removed account,
-- which this one serves as well.
CREATE INDEX reactions_user_post_idx ON reactions (user_id, post_id, kind);
DROP INDEX reactions_user_idx;
