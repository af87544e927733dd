-- What each row of a contact import did: the contact it created or updated (with the contact's
-- before-image, so a revert can restore it), or why it failed (with the row's original values).
CREATE TABLE import_rows (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    job_id      TEXT NOT NULL REFERENCES jobs (id),
    row_number  BIGINT NOT NULL,
    -- created, updated, unchanged, skipped, failed
    outcome     TEXT NOT NULL,
    contact_id  TEXT,
    before      TEXT,
    reason      TEXT,
    raw         TEXT,
    PRIMARY KEY (org_id, job_id, row_number)
);
CREATE INDEX import_rows_org_job_outcome ON import_rows (org_id, job_id, outcome, row_number);
