-- The job queue: background work of every domain (imports, exports, deliveries, timers), claimed
-- with a lease so a killed worker's job comes back; and files stored in chunks, so uploads and
-- exports work across instances sharing one database and never sit whole in memory.

CREATE TABLE jobs (
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
CREATE INDEX jobs_org_kind_created ON jobs (org_id, kind, created_at, id);
-- The claim looks across organizations: which jobs are due or have an expired lease.
CREATE INDEX jobs_status_run_after ON jobs (status, run_after);

CREATE TABLE files (
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
CREATE INDEX files_org_created ON files (org_id, created_at);

CREATE TABLE file_chunks (
    org_id   TEXT NOT NULL REFERENCES organizations (id),
    file_id  TEXT NOT NULL REFERENCES files (id),
    seq      INTEGER NOT NULL,
    data     BYTEA NOT NULL,
    PRIMARY KEY (org_id, file_id, seq)
);
