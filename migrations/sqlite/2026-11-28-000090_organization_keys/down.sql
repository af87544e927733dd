-- Back to tables keyed by id alone (see up.sql).
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE activities__rebuilt (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations (id),
    kind              TEXT NOT NULL,
    subject           TEXT,
    body              TEXT,
    occurred_at       TIMESTAMP NOT NULL,
    due_at            TIMESTAMP,
    status            TEXT,
    assignee_id       TEXT REFERENCES users (id),
    direction         TEXT,
    duration_seconds  BIGINT,
    outcome           TEXT,
    starts_at         TIMESTAMP,
    ends_at           TIMESTAMP,
    attendees         TEXT NOT NULL,
    message_id        TEXT,
    created_by        TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    deleted_at        TIMESTAMP,
    version           BIGINT NOT NULL DEFAULT 1
);
INSERT INTO activities__rebuilt SELECT * FROM activities;
DROP TABLE activities;
ALTER TABLE activities__rebuilt RENAME TO activities;
CREATE INDEX activities_org_assignee ON activities (org_id, assignee_id, status, due_at);
CREATE INDEX activities_org_deleted ON activities (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX activities_org_occurred ON activities (org_id, occurred_at, id);

CREATE TABLE audit_log__rebuilt (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    actor_type     TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    action         TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    changes        TEXT NOT NULL,
    request_id     TEXT,
    created_at     TIMESTAMP NOT NULL
);
INSERT INTO audit_log__rebuilt SELECT * FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log__rebuilt RENAME TO audit_log;
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at, id);
CREATE INDEX audit_log_org_resource ON audit_log (org_id, resource_type, resource_id, created_at);

CREATE TABLE companies__rebuilt (
    id                       TEXT PRIMARY KEY,
    org_id                   TEXT NOT NULL REFERENCES organizations (id),
    name                     TEXT NOT NULL,
    sort_name                TEXT NOT NULL,
    domain                   TEXT,
    industry                 TEXT,
    employee_count           BIGINT,
    annual_revenue_amount    BIGINT,
    annual_revenue_currency  TEXT,
    addresses                TEXT NOT NULL,
    parent_id                TEXT REFERENCES companies (id),
    owner_id                 TEXT REFERENCES users (id),
    tags                     TEXT NOT NULL,
    external_ids             TEXT NOT NULL,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    deleted_at               TIMESTAMP,
    version                  BIGINT NOT NULL DEFAULT 1
, custom TEXT NOT NULL DEFAULT '{}');
INSERT INTO companies__rebuilt SELECT * FROM companies;
DROP TABLE companies;
ALTER TABLE companies__rebuilt RENAME TO companies;
CREATE INDEX companies_org_created ON companies (org_id, created_at, id);
CREATE INDEX companies_org_deleted ON companies (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE UNIQUE INDEX companies_org_domain ON companies (org_id, domain) WHERE deleted_at IS NULL AND domain IS NOT NULL;
CREATE INDEX companies_org_owner ON companies (org_id, owner_id);
CREATE INDEX companies_org_parent ON companies (org_id, parent_id);
CREATE INDEX companies_org_sort_name ON companies (org_id, sort_name, id);
CREATE INDEX companies_org_updated ON companies (org_id, updated_at, id);

CREATE TABLE contacts__rebuilt (
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
, custom TEXT NOT NULL DEFAULT '{}', merged_into TEXT);
INSERT INTO contacts__rebuilt SELECT * FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts__rebuilt RENAME TO contacts;
CREATE INDEX contacts_org_created ON contacts (org_id, created_at, id);
CREATE INDEX contacts_org_deleted ON contacts (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX contacts_org_owner ON contacts (org_id, owner_id);
CREATE INDEX contacts_org_phone ON contacts (org_id, phone);
CREATE INDEX contacts_org_sort_name ON contacts (org_id, sort_name, id);
CREATE INDEX contacts_org_stage ON contacts (org_id, lifecycle_stage);
CREATE INDEX contacts_org_updated ON contacts (org_id, updated_at, id);

CREATE TABLE custom_field_definitions__rebuilt (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    record_type  TEXT NOT NULL,
    key          TEXT NOT NULL,
    label        TEXT NOT NULL,
    description  TEXT,
    field_type   TEXT NOT NULL,
    required     BOOLEAN NOT NULL DEFAULT FALSE,
    min_value    DOUBLE PRECISION,
    max_value    DOUBLE PRECISION,
    pattern      TEXT,
    options      TEXT NOT NULL DEFAULT '[]',
    archived_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
INSERT INTO custom_field_definitions__rebuilt SELECT * FROM custom_field_definitions;
DROP TABLE custom_field_definitions;
ALTER TABLE custom_field_definitions__rebuilt RENAME TO custom_field_definitions;
CREATE UNIQUE INDEX custom_field_definitions_key ON custom_field_definitions (org_id, record_type, key);

CREATE TABLE email_suppressions__rebuilt (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    email       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    source      TEXT,
    created_at  TIMESTAMP NOT NULL
);
INSERT INTO email_suppressions__rebuilt SELECT * FROM email_suppressions;
DROP TABLE email_suppressions;
ALTER TABLE email_suppressions__rebuilt RENAME TO email_suppressions;
CREATE INDEX email_suppressions_org_created ON email_suppressions (org_id, created_at, id);
CREATE UNIQUE INDEX email_suppressions_org_email ON email_suppressions (org_id, email);

CREATE TABLE events__rebuilt (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    seq         BIGINT,
    type        TEXT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
INSERT INTO events__rebuilt SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events__rebuilt RENAME TO events;
CREATE UNIQUE INDEX events_org_seq ON events (org_id, seq);
CREATE INDEX events_unsequenced ON events (org_id, id) WHERE seq IS NULL;

CREATE TABLE files__rebuilt (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    purpose       TEXT NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL DEFAULT 0,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    -- writing, complete
    status        TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    completed_at  TIMESTAMP
);
INSERT INTO files__rebuilt SELECT * FROM files;
DROP TABLE files;
ALTER TABLE files__rebuilt RENAME TO files;
CREATE INDEX files_org_created ON files (org_id, created_at);

CREATE TABLE jobs__rebuilt (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    kind          TEXT NOT NULL,
    -- pending, running, succeeded, failed, cancelled
    status        TEXT NOT NULL,
    payload       TEXT NOT NULL,
    progress      TEXT NOT NULL,
    -- who enqueued it (JSON): the job acts as them in audit rows and events
    actor         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    run_after     TIMESTAMP NOT NULL,
    lease_owner   TEXT,
    lease_until   TIMESTAMP,
    last_error    TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP
);
INSERT INTO jobs__rebuilt SELECT * FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs__rebuilt RENAME TO jobs;
CREATE INDEX jobs_org_kind_created ON jobs (org_id, kind, created_at, id);
CREATE INDEX jobs_status_run_after ON jobs (status, run_after);

CREATE TABLE subscription_types__rebuilt (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    description  TEXT,
    channel      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
INSERT INTO subscription_types__rebuilt SELECT * FROM subscription_types;
DROP TABLE subscription_types;
ALTER TABLE subscription_types__rebuilt RENAME TO subscription_types;
CREATE INDEX subscription_types_org_created ON subscription_types (org_id, created_at, id);
CREATE UNIQUE INDEX subscription_types_org_name ON subscription_types (org_id, name);

CREATE TABLE teams__rebuilt (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
INSERT INTO teams__rebuilt SELECT * FROM teams;
DROP TABLE teams;
ALTER TABLE teams__rebuilt RENAME TO teams;
CREATE INDEX teams_org_created ON teams (org_id, created_at, id);
CREATE UNIQUE INDEX teams_org_name ON teams (org_id, name);

CREATE TABLE activity_links__rebuilt (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    activity_id  TEXT NOT NULL REFERENCES activities (id),
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    PRIMARY KEY (org_id, activity_id, record_type, record_id)
);
INSERT INTO activity_links__rebuilt SELECT * FROM activity_links;
DROP TABLE activity_links;
ALTER TABLE activity_links__rebuilt RENAME TO activity_links;
CREATE INDEX activity_links_org_record ON activity_links (org_id, record_type, record_id, activity_id);

CREATE TABLE contact_companies__rebuilt (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    company_id  TEXT NOT NULL REFERENCES companies (id),
    role        TEXT,
    is_primary  BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, contact_id, company_id)
);
INSERT INTO contact_companies__rebuilt SELECT * FROM contact_companies;
DROP TABLE contact_companies;
ALTER TABLE contact_companies__rebuilt RENAME TO contact_companies;
CREATE INDEX contact_companies_org_company ON contact_companies (org_id, company_id, contact_id);

CREATE TABLE contact_consents__rebuilt (
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    contact_id    TEXT NOT NULL REFERENCES contacts (id),
    channel       TEXT NOT NULL,
    status        TEXT NOT NULL,
    lawful_basis  TEXT,
    source        TEXT,
    recorded_at   TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, contact_id, channel)
);
INSERT INTO contact_consents__rebuilt SELECT * FROM contact_consents;
DROP TABLE contact_consents;
ALTER TABLE contact_consents__rebuilt RENAME TO contact_consents;

CREATE TABLE contact_emails__rebuilt (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    email       TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    PRIMARY KEY (org_id, email)
);
INSERT INTO contact_emails__rebuilt SELECT * FROM contact_emails;
DROP TABLE contact_emails;
ALTER TABLE contact_emails__rebuilt RENAME TO contact_emails;
CREATE INDEX contact_emails_org_contact ON contact_emails (org_id, contact_id);

CREATE TABLE contact_erasures__rebuilt (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    erased_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, contact_id)
);
INSERT INTO contact_erasures__rebuilt SELECT * FROM contact_erasures;
DROP TABLE contact_erasures;
ALTER TABLE contact_erasures__rebuilt RENAME TO contact_erasures;

CREATE TABLE contact_subscriptions__rebuilt (
    org_id                TEXT NOT NULL REFERENCES organizations (id),
    contact_id            TEXT NOT NULL REFERENCES contacts (id),
    subscription_type_id  TEXT NOT NULL REFERENCES subscription_types (id),
    status                TEXT NOT NULL,
    source                TEXT,
    updated_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, contact_id, subscription_type_id)
);
INSERT INTO contact_subscriptions__rebuilt SELECT * FROM contact_subscriptions;
DROP TABLE contact_subscriptions;
ALTER TABLE contact_subscriptions__rebuilt RENAME TO contact_subscriptions;
CREATE INDEX contact_subscriptions_org_type ON contact_subscriptions (org_id, subscription_type_id, contact_id);

CREATE TABLE file_chunks__rebuilt (
    org_id   TEXT NOT NULL REFERENCES organizations (id),
    file_id  TEXT NOT NULL REFERENCES files (id),
    seq      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (org_id, file_id, seq)
);
INSERT INTO file_chunks__rebuilt SELECT * FROM file_chunks;
DROP TABLE file_chunks;
ALTER TABLE file_chunks__rebuilt RENAME TO file_chunks;

CREATE TABLE import_rows__rebuilt (
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
INSERT INTO import_rows__rebuilt SELECT * FROM import_rows;
DROP TABLE import_rows;
ALTER TABLE import_rows__rebuilt RENAME TO import_rows;
CREATE INDEX import_rows_org_job_outcome ON import_rows (org_id, job_id, outcome, row_number);

CREATE TABLE team_members__rebuilt (
    org_id   TEXT NOT NULL REFERENCES organizations (id),
    team_id  TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (org_id, team_id, user_id)
);
INSERT INTO team_members__rebuilt SELECT * FROM team_members;
DROP TABLE team_members;
ALTER TABLE team_members__rebuilt RENAME TO team_members;
CREATE INDEX team_members_user ON team_members (org_id, user_id, team_id);

DROP INDEX custom_field_values_record;
CREATE INDEX custom_field_values_record ON custom_field_values (record_id, field_key);

COMMIT;
PRAGMA foreign_keys = ON;
