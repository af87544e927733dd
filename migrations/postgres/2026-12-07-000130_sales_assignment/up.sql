-- Lead assignment rules: a team, the leads it takes (a filter; a territory) and how the owner
-- is picked among its members.
CREATE TABLE assignment_rules (
    id            TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    name          TEXT NOT NULL,
    -- round_robin or least_loaded
    method        TEXT NOT NULL,
    team_id       TEXT NOT NULL,
    -- JSON, the filter language over the lead's fields
    filter        TEXT,
    priority      INTEGER NOT NULL,
    active        BOOLEAN NOT NULL,
    last_user_id  TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE
);
CREATE INDEX assignment_rules_org_priority ON assignment_rules (org_id, priority, id);
CREATE INDEX assignment_rules_org_created ON assignment_rules (org_id, created_at, id);
CREATE INDEX assignment_rules_org_team ON assignment_rules (org_id, team_id);
