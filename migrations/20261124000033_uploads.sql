-- Files members attach to posts and repertoire entries, and avatars (uploads). The bytes are in
-- storage under `storage_key`; the row says who may read them: whoever may read `domain_id`, or
-- everyone when it is NULL (an avatar). Uploads never show on a page by themselves: a post or
-- a profile links to them, and those announce their own changes to the page cache.
CREATE TABLE uploads (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uploader_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id     bigint REFERENCES domains (id) ON DELETE CASCADE,
    storage_key   text NOT NULL,
    thumbnail_key text,
    file_name     text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 120),
    content_type  text NOT NULL,
    byte_size     integer NOT NULL CHECK (byte_size > 0),
    width         integer,
    height        integer,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_uploader_idx ON uploads (uploader_id, created_at DESC);

ALTER TABLE users ADD COLUMN avatar_upload_id bigint REFERENCES uploads (id) ON DELETE SET NULL;
