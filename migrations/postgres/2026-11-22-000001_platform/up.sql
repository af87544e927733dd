-- The platform: tenants, identity, audit log, event outbox, idempotency.
-- Every table but organizations carries org_id, and every index starts with it.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    status         TEXT NOT NULL,
    password_hash  TEXT,
    invitation_hash TEXT,
    last_login_at  TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_org_email ON users (org_id, email);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_org_created ON users (org_id, created_at, id);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    key_prefix    TEXT NOT NULL,
    key_hash      TEXT NOT NULL,
    role          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    last_used_at  TIMESTAMP,
    expires_at    TIMESTAMP,
    revoked_at    TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
-- Looked up by hash before the organization is known: the one lookup that cannot start with org_id.
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at, id);
CREATE INDEX api_keys_org_user ON api_keys (org_id, user_id);

CREATE TABLE refresh_tokens (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    family_id    TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP,
    revoked_at   TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_org_user ON refresh_tokens (org_id, user_id);
CREATE INDEX refresh_tokens_org_family ON refresh_tokens (org_id, family_id);

CREATE TABLE audit_log (
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
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at, id);
CREATE INDEX audit_log_org_resource ON audit_log (org_id, resource_type, resource_id, created_at);

-- The transactional outbox. seq is stamped after commit by one serial sequencer
-- (see crm_core::events), so the changes feed never skips a late committer.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    seq         BIGINT,
    type        TEXT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE SEQUENCE events_seq;
CREATE UNIQUE INDEX events_org_seq ON events (org_id, seq);
CREATE INDEX events_unsequenced ON events (org_id, id) WHERE seq IS NULL;

CREATE TABLE idempotency_keys (
    org_id            TEXT NOT NULL REFERENCES organizations (id),
    principal_id      TEXT NOT NULL,
    key               TEXT NOT NULL,
    request_hash      TEXT NOT NULL,
    response_status   INTEGER,
    response_body     TEXT,
    response_headers  TEXT,
    created_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, principal_id, key)
);
CREATE INDEX idempotency_keys_org_created ON idempotency_keys (org_id, created_at);
