-- A member's read mark on a thread is looked up by both keys for every row of a thread list.
-- With an index on the thread alone beside the primary key (member, thread), the planner took
-- the smaller one and filtered the thread's readers one by one: 16 readers and 25 buffers a
-- lookup on a busy thread, 0.27 of the 1 ms a member's domain page list took at a million
-- posts, and more the more members read a thread. Keyed on both, either index finds the one
-- row; the thread's own lookups (the cascade from a deleted thread) still use its prefix.
CREATE UNIQUE INDEX thread_reads_by_thread_idx ON thread_reads (thread_id, user_id);
DROP INDEX thread_reads_thread_idx;
