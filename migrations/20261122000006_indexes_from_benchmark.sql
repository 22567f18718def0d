-- Found by bench/run on 5 000 threads: the domain page's introductions lookup scanned every
-- thread of the domain, and the Atom feed sorted them all by creation time.
CREATE INDEX threads_introductions_idx ON threads (domain_id, id) WHERE kind = 'introduction';
CREATE INDEX threads_domain_created_idx ON threads (domain_id, created_at DESC, id DESC);
