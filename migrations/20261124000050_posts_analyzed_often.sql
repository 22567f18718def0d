-- Search reads the newest 25 000 posts first (`educate::search`), and PostgreSQL chooses how
-- by how many rows it expects past the window's edge. By default a table is analysed again
-- only after a tenth of it changes: 100 000 new posts at a million, so the newest window is
-- never in the statistics. Measured at a million posts with 28 000 posts since the last
-- analysis: "bean compost" was estimated at 6 355 posts in the window (25 000 there), read
-- the text index's 119 000 matches over all time, and took 54 ms; after ANALYZE it walks the
-- window newest first and takes 2 ms. Analysing after every 5 000 new posts keeps the
-- estimate within a fifth (ANALYZE posts takes about 0.6 s at that size).
ALTER TABLE posts SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);
