-- Contacts, and two tables any record type shares: tags and integrators' external ids.

CREATE TABLE record_tags (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (org_id, record_type, record_id, tag)
);
CREATE INDEX record_tags_org_tag ON record_tags (org_id, record_type, tag, record_id);

-- Unique per organization, source and record type; PUT …/by-external-id/{source}/{id} upserts by it.
CREATE TABLE external_ids (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    record_type  TEXT NOT NULL,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    PRIMARY KEY (org_id, record_type, source, external_id)
);
CREATE INDEX external_ids_org_record ON external_ids (org_id, record_type, record_id);

CREATE TABLE contacts (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    first_name       TEXT,
    last_name        TEXT,
    -- lower-cased "last first", or the e-mail: never null, so name order pages cleanly.
    sort_name        TEXT NOT NULL,
    email            TEXT,
    phone            TEXT,
    emails           TEXT NOT NULL,
    phones           TEXT NOT NULL,
    addresses        TEXT NOT NULL,
    job_title        TEXT,
    lifecycle_stage  TEXT NOT NULL,
    lead_source      TEXT,
    owner_id         TEXT REFERENCES users (id),
    tags             TEXT NOT NULL,
    external_ids     TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    deleted_at       TIMESTAMP,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX contacts_org_created ON contacts (org_id, created_at, id);
CREATE INDEX contacts_org_updated ON contacts (org_id, updated_at, id);
CREATE INDEX contacts_org_sort_name ON contacts (org_id, sort_name, id);
CREATE INDEX contacts_org_owner ON contacts (org_id, owner_id);
CREATE INDEX contacts_org_stage ON contacts (org_id, lifecycle_stage);

-- Every e-mail of every live contact: one contact per address in an organization.
CREATE TABLE contact_emails (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    email       TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    PRIMARY KEY (org_id, email)
);
CREATE INDEX contact_emails_org_contact ON contact_emails (org_id, contact_id);
