-- The first-cut data model of DESIGN.md section 4.
--
-- Conventions: bigint identity keys; timestamptz everywhere; enumerations as text with CHECK
-- constraints (readable in psql, easy to extend in a later migration); counters that lists show
-- are columns maintained on write, never counted per view; every list has the index its keyset
-- pagination walks.

CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_-]{2,29}$'),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash   text NOT NULL,
    bio_md          text NOT NULL DEFAULT '',
    bio_html        text NOT NULL DEFAULT '',
    expertise       text[] NOT NULL DEFAULT '{}',
    site_role       text NOT NULL DEFAULT 'member' CHECK (site_role IN ('member', 'admin')),
    -- Suspended for good is 9999-12-31: 'infinity' cannot be decoded by the time crate.
    suspended_until timestamptz CHECK (isfinite(suspended_until)),
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness: "Ana" and "ana" are the same account.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_expertise_idx ON users USING gin (expertise);

-- Failed logins and registrations, for rate limiting. Kept in Postgres so that several server
-- processes share one count.
CREATE TABLE auth_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('login_failure', 'registration')),
    client_ip   text NOT NULL,
    account     text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_attempts_ip_idx ON auth_attempts (kind, client_ip, at);
CREATE INDEX auth_attempts_account_idx ON auth_attempts (kind, account, at) WHERE account IS NOT NULL;

CREATE TABLE domains (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug             text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 60),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    charter_md       text NOT NULL DEFAULT '',
    charter_html     text NOT NULL DEFAULT '',
    practice_focus   text NOT NULL DEFAULT '',
    audience         text NOT NULL DEFAULT '',
    visibility       text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    archived_at      timestamptz,
    member_count     integer NOT NULL DEFAULT 0,
    thread_count     integer NOT NULL DEFAULT 0,
    last_activity_at timestamptz
);
CREATE UNIQUE INDEX domains_slug_key ON domains (slug);

CREATE TABLE memberships (
    domain_id    bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'facilitator')),
    joined_at    timestamptz NOT NULL DEFAULT now(),
    -- Banned for good is 9999-12-31, as for suspensions.
    banned_until timestamptz CHECK (isfinite(banned_until)),
    ban_reason   text,
    PRIMARY KEY (domain_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE threads (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id        bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    author_id        bigint NOT NULL REFERENCES users (id),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    kind             text NOT NULL DEFAULT 'discussion'
                     CHECK (kind IN ('discussion', 'question', 'event', 'introduction')),
    pinned           boolean NOT NULL DEFAULT false,
    locked           boolean NOT NULL DEFAULT false,
    hidden           boolean NOT NULL DEFAULT false,
    hidden_reason    text,
    accepted_post_id bigint,
    reply_count      integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_posted_at   timestamptz NOT NULL DEFAULT now(),
    search           tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED
);
-- The domain page's keyset: WHERE domain_id = $1 AND (last_posted_at, id) < ($2, $3).
CREATE INDEX threads_domain_latest_idx ON threads (domain_id, last_posted_at DESC, id DESC);
CREATE INDEX threads_domain_pinned_idx ON threads (domain_id) WHERE pinned;
CREATE INDEX threads_author_idx ON threads (author_id, created_at DESC);
CREATE INDEX threads_search_idx ON threads USING gin (search);

CREATE TABLE posts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id     bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    author_id     bigint NOT NULL REFERENCES users (id),
    body_md       text NOT NULL CHECK (length(body_md) <= 100000),
    body_html     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    edited_at     timestamptz,
    -- Soft delete by the author: the row stays so replies keep their context.
    deleted_at    timestamptz,
    hidden        boolean NOT NULL DEFAULT false,
    hidden_by     bigint REFERENCES users (id),
    hidden_reason text,
    search        tsvector GENERATED ALWAYS AS (to_tsvector('english', body_md)) STORED
);
CREATE INDEX posts_thread_idx ON posts (thread_id, id);
CREATE INDEX posts_author_idx ON posts (author_id, created_at DESC);
CREATE INDEX posts_search_idx ON posts USING gin (search);

ALTER TABLE threads ADD CONSTRAINT threads_accepted_post_fkey
    FOREIGN KEY (accepted_post_id) REFERENCES posts (id) ON DELETE SET NULL;

-- Every earlier body of a post, kept when it is edited.
CREATE TABLE post_revisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    body_md    text NOT NULL,
    body_html  text NOT NULL,
    -- When this body was first written (the post's creation or an earlier edit).
    written_at timestamptz NOT NULL,
    replaced_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_revisions_post_idx ON post_revisions (post_id, id);

CREATE TABLE reactions (
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('helpful', 'thanks', 'insightful')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id, kind)
);
CREATE INDEX reactions_user_idx ON reactions (user_id);

CREATE TABLE repertoire_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id      bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('story', 'tool', 'case', 'lesson', 'how-to')),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary        text NOT NULL DEFAULT '',
    body_md        text NOT NULL DEFAULT '' CHECK (length(body_md) <= 100000),
    body_html      text NOT NULL DEFAULT '',
    tags           text[] NOT NULL DEFAULT '{}',
    source_thread_id bigint REFERENCES threads (id) ON DELETE SET NULL,
    source_post_id bigint REFERENCES posts (id) ON DELETE SET NULL,
    curated_by     bigint REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    reports_count  integer NOT NULL DEFAULT 0,
    worked_count   integer NOT NULL DEFAULT 0,
    partly_count   integer NOT NULL DEFAULT 0,
    did_not_count  integer NOT NULL DEFAULT 0,
    search         tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', summary), 'B') ||
        to_tsvector('english', body_md)) STORED
);
CREATE INDEX repertoire_domain_idx ON repertoire_entries (domain_id, created_at DESC, id DESC);
CREATE INDEX repertoire_applied_idx ON repertoire_entries (domain_id, reports_count DESC, id DESC);
CREATE INDEX repertoire_tags_idx ON repertoire_entries USING gin (tags);
CREATE INDEX repertoire_search_idx ON repertoire_entries USING gin (search);
CREATE INDEX repertoire_source_post_idx ON repertoire_entries (source_post_id) WHERE source_post_id IS NOT NULL;

CREATE TABLE repertoire_revisions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id    bigint NOT NULL REFERENCES repertoire_entries (id) ON DELETE CASCADE,
    title       text NOT NULL,
    summary     text NOT NULL,
    body_md     text NOT NULL,
    body_html   text NOT NULL,
    tags        text[] NOT NULL,
    edited_by   bigint REFERENCES users (id),
    replaced_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repertoire_revisions_entry_idx ON repertoire_revisions (entry_id, id);

CREATE TABLE practice_reports (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id   bigint REFERENCES repertoire_entries (id) ON DELETE CASCADE,
    thread_id  bigint REFERENCES threads (id) ON DELETE CASCADE,
    author_id  bigint NOT NULL REFERENCES users (id),
    context    text NOT NULL,
    tried      text NOT NULL,
    outcome    text NOT NULL CHECK (outcome IN ('worked', 'partly', 'did_not')),
    reflection text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- A report is about exactly one thing.
    CHECK ((entry_id IS NULL) <> (thread_id IS NULL))
);
CREATE INDEX practice_reports_entry_idx ON practice_reports (entry_id, created_at DESC) WHERE entry_id IS NOT NULL;
CREATE INDEX practice_reports_thread_idx ON practice_reports (thread_id, created_at DESC) WHERE thread_id IS NOT NULL;
CREATE INDEX practice_reports_author_idx ON practice_reports (author_id, created_at DESC);

CREATE TABLE commitments (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id                bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    entry_id               bigint NOT NULL REFERENCES repertoire_entries (id) ON DELETE CASCADE,
    intention              text NOT NULL,
    due_on                 date NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    reminded_at            timestamptz,
    fulfilled_by_report_id bigint REFERENCES practice_reports (id) ON DELETE SET NULL
);
CREATE INDEX commitments_user_idx ON commitments (user_id, due_on);
CREATE INDEX commitments_due_idx ON commitments (due_on) WHERE fulfilled_by_report_id IS NULL AND reminded_at IS NULL;

CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id   bigint NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    thread_id   bigint REFERENCES threads (id) ON DELETE SET NULL,
    created_by  bigint NOT NULL REFERENCES users (id),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    time_zone   text NOT NULL,
    place       text NOT NULL DEFAULT '',
    link        text NOT NULL DEFAULT '',
    agenda_md   text NOT NULL DEFAULT '',
    agenda_html text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_domain_idx ON events (domain_id, starts_at);

CREATE TABLE event_rsvps (
    event_id   bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status     text NOT NULL CHECK (status IN ('going', 'maybe', 'not')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id)
);

CREATE TABLE notifications (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    actor_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    thread_id  bigint REFERENCES threads (id) ON DELETE CASCADE,
    post_id    bigint REFERENCES posts (id) ON DELETE CASCADE,
    entry_id   bigint REFERENCES repertoire_entries (id) ON DELETE CASCADE,
    message    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE bookmarks (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, post_id)
);

CREATE TABLE thread_follows (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id  bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (thread_id, user_id)
);

CREATE TABLE flags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    flagger_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (reason IN ('spam', 'off-topic', 'inappropriate', 'other')),
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolved_by bigint REFERENCES users (id),
    outcome     text CHECK (outcome IN ('agreed', 'disagreed'))
);
-- One open flag per member per post.
CREATE UNIQUE INDEX flags_open_key ON flags (post_id, flagger_id) WHERE resolved_at IS NULL;
CREATE INDEX flags_open_idx ON flags (post_id) WHERE resolved_at IS NULL;

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    domain_id   bigint REFERENCES domains (id) ON DELETE SET NULL,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   bigint,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_domain_idx ON audit_log (domain_id, created_at DESC, id DESC);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
