-- Where the text index over the newest posts begins (`educate::search::recent_index`). A job
-- builds `posts_recent_search_<above>` over the posts whose id is above `above`, records it
-- here, and builds the next one as posts arrive. No row until the job first runs.
CREATE TABLE recent_search_index (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    above bigint NOT NULL CHECK (above >= 0)
);
