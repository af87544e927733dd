-- Teams of users, and how much of the organization's records each role sees.

CREATE TABLE teams (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX teams_org_name ON teams (org_id, name);
CREATE INDEX teams_org_created ON teams (org_id, created_at, id);

-- A user may be in several teams.
CREATE TABLE team_members (
    org_id   TEXT NOT NULL REFERENCES organizations (id),
    team_id  TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (org_id, team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (org_id, user_id, team_id);

-- Only the restricted pairs are stored: a role sees all of a record type unless a row says
-- `team` (records owned by anyone in one of its user's teams) or `own`.
CREATE TABLE record_visibility (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    role         TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    PRIMARY KEY (org_id, role, record_type)
);

-- The global search filters by owner like the record's own lists do.
ALTER TABLE search_documents ADD COLUMN owner_id TEXT;
