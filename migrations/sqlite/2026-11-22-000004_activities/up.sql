-- Activities (notes, tasks, calls, meetings, logged e-mails) and what they are about.

CREATE TABLE activities (
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
CREATE INDEX activities_org_occurred ON activities (org_id, occurred_at, id);
CREATE INDEX activities_org_assignee ON activities (org_id, assignee_id, status, due_at);

-- Which records an activity is about: contacts and companies now, deals and tickets later.
CREATE TABLE activity_links (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    activity_id  TEXT NOT NULL REFERENCES activities (id),
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    PRIMARY KEY (org_id, activity_id, record_type, record_id)
);
CREATE INDEX activity_links_org_record ON activity_links (org_id, record_type, record_id, activity_id);
