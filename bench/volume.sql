-- A larger community for the benchmark: 2 000 members, one busy domain with 5 000 threads of
-- 10 posts each (50 000 posts), 500 repertoire entries. Written straight to the tables; the
-- counter triggers run as they do in production.
\set ON_ERROR_STOP on
INSERT INTO users (username, display_name, email, password_hash, expertise)
SELECT 'bench' || n, 'Bench Member ' || n, 'bench' || n || '@example.org', 'x',
       ARRAY[(ARRAY['soil','compost','seeds','irrigation','pests'])[1 + n % 5]]
  FROM generate_series(1, 2000) n;

INSERT INTO domains (slug, name, charter_md, charter_html, visibility)
VALUES ('bench', 'Benchmark Gardens', 'A busy domain.', '<p>A busy domain.</p>', 'public');

INSERT INTO memberships (domain_id, user_id)
SELECT d.id, u.id FROM domains d, users u WHERE d.slug = 'bench' AND u.username LIKE 'bench%';

INSERT INTO threads (domain_id, author_id, title, kind, created_at, last_posted_at)
SELECT d.id, (SELECT id FROM users WHERE username = 'bench' || (1 + n % 2000)),
       'Thread ' || n || ' about ' || (ARRAY['compost heaps','seed saving','drip irrigation','aphids','soil tests'])[1 + n % 5],
       CASE WHEN n % 3 = 0 THEN 'question' ELSE 'discussion' END,
       now() - make_interval(mins => 5000 - n), now() - make_interval(mins => 5000 - n)
  FROM domains d, generate_series(1, 5000) n WHERE d.slug = 'bench';

INSERT INTO posts (thread_id, author_id, body_md, body_html, created_at)
SELECT t.id, (SELECT id FROM users WHERE username = 'bench' || (1 + (t.id * 7 + k) % 2000)),
       'Post ' || k || ' in ' || t.title || ': we mulch, water and watch the compost temperature.',
       '<p>Post ' || k || ' in ' || t.title || ': we mulch, water and watch the compost temperature.</p>',
       t.created_at + make_interval(secs => k)
  FROM threads t, generate_series(0, 9) k
 WHERE t.domain_id = (SELECT id FROM domains WHERE slug = 'bench')
 ORDER BY t.id, k;

INSERT INTO repertoire_entries (domain_id, kind, title, summary, body_md, body_html, tags)
SELECT d.id, (ARRAY['story','tool','case','lesson','how-to'])[1 + n % 5], 'Entry ' || n,
       'What we learned about compost, number ' || n, 'Body', '<p>Body</p>', ARRAY['compost', 'tag' || n % 20]
  FROM domains d, generate_series(1, 500) n WHERE d.slug = 'bench';

ANALYZE;
