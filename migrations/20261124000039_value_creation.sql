-- Value-creation stories (integrate): a practice report may say how far the value went, in
-- the Wenger-Trayner value-creation framework. Optional; any of the five.
ALTER TABLE practice_reports
    ADD COLUMN value_stages text[] NOT NULL DEFAULT '{}'
        CHECK (value_stages <@ ARRAY['immediate', 'potential', 'applied', 'realized', 'reframing']);
