-- Knowledge upkeep (educate::upkeep): each repertoire entry has a steward, a review-by date and
-- a state; entries past their date or contradicted by their practice reports wait in the
-- domain's review queue, and every act of upkeep is kept in the entry's history.
ALTER TABLE domains
    ADD COLUMN review_months integer NOT NULL DEFAULT 12 CHECK (review_months BETWEEN 1 AND 120);

ALTER TABLE repertoire_entries
    ADD COLUMN steward_id bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN review_by date,
    ADD COLUMN state text NOT NULL DEFAULT 'current'
        CHECK (state IN ('current', 'needs_review', 'outdated', 'obsolete')),
    -- What replaces an obsolete entry: another entry of the same domain (checked where it is
    -- set). Deleting the replacement leaves the entry obsolete without a pointer.
    ADD COLUMN replaced_by bigint REFERENCES repertoire_entries (id) ON DELETE SET NULL,
    ADD CONSTRAINT repertoire_replaced_only_when_obsolete
        CHECK (replaced_by IS NULL OR state = 'obsolete'),
    ADD CONSTRAINT repertoire_not_replaced_by_itself CHECK (replaced_by <> id);

UPDATE repertoire_entries e
   SET steward_id = e.curated_by,
       review_by = (e.updated_at + make_interval(months => d.review_months))::date
  FROM domains d
 WHERE d.id = e.domain_id;

-- A new entry is stewarded by its curator and due for review after its domain's period,
-- unless the writer says otherwise.
CREATE FUNCTION repertoire_upkeep_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.steward_id := coalesce(NEW.steward_id, NEW.curated_by);
    IF NEW.review_by IS NULL THEN
        SELECT (now() + make_interval(months => review_months))::date INTO NEW.review_by
          FROM domains WHERE id = NEW.domain_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER repertoire_upkeep_defaults BEFORE INSERT ON repertoire_entries
    FOR EACH ROW EXECUTE FUNCTION repertoire_upkeep_defaults();
ALTER TABLE repertoire_entries ALTER COLUMN review_by SET NOT NULL;

-- The daily job finds current entries whose date has come; the queue lists what waits.
CREATE INDEX repertoire_review_due_idx ON repertoire_entries (review_by) WHERE state = 'current';
CREATE INDEX repertoire_review_queue_idx ON repertoire_entries (domain_id, review_by, id)
    WHERE state IN ('needs_review', 'outdated');
CREATE INDEX repertoire_steward_idx ON repertoire_entries (steward_id, domain_id);

CREATE TABLE entry_upkeep (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id   bigint NOT NULL REFERENCES repertoire_entries (id) ON DELETE CASCADE,
    -- None when the site itself acted (a date that came, reports that went against it).
    actor_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    act        text NOT NULL
        CHECK (act IN ('verified', 'needs_review', 'outdated', 'obsolete', 'review_by', 'steward')),
    note       text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entry_upkeep_entry_idx ON entry_upkeep (entry_id, id);
-- The history shows on the entry's public page.
CREATE TRIGGER entry_upkeep_notify_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON entry_upkeep
    FOR EACH STATEMENT EXECUTE FUNCTION notify_pages_changed();
