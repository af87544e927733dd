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

-- Sales territories: which companies (by country, region, industry and size) belong to whom.
-- Each criterion is a JSON array (empty: any) or a bound (null: none).
CREATE TABLE territories (
    id             TEXT NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    name           TEXT NOT NULL,
    countries      TEXT NOT NULL,
    regions        TEXT NOT NULL,
    industries     TEXT NOT NULL,
    min_employees  BIGINT,
    max_employees  BIGINT,
    owner_id       TEXT,
    priority       INTEGER NOT NULL,
    active         BOOLEAN NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX territories_org_priority ON territories (org_id, priority, id);
CREATE INDEX territories_org_created ON territories (org_id, created_at, id);

-- The territory each company was last aligned to (by the sales.align_territories job).
CREATE TABLE company_territories (
    org_id        TEXT NOT NULL,
    company_id    TEXT NOT NULL,
    territory_id  TEXT NOT NULL,
    -- the owner the territory gave it: a new owner of the territory realigns the company
    owner_id      TEXT,
    assigned_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, company_id),
    FOREIGN KEY (org_id, territory_id) REFERENCES territories (org_id, id) ON DELETE CASCADE
);
CREATE INDEX company_territories_territory ON company_territories (org_id, territory_id, company_id);

-- Running totals of live deals (crates/sales/src/deal/totals.rs): every deal write moves its
-- deal between these rows in its transaction; the board and the forecast read them.
CREATE TABLE deal_totals (
    org_id             TEXT NOT NULL REFERENCES organizations (id),
    pipeline_id        TEXT NOT NULL,
    stage_id           TEXT NOT NULL,
    owner_id           TEXT NOT NULL,
    status             TEXT NOT NULL,
    forecast_category  TEXT NOT NULL,
    currency           TEXT NOT NULL,
    close_month        TEXT NOT NULL,
    deals              BIGINT NOT NULL,
    amount             BIGINT NOT NULL,
    PRIMARY KEY (org_id, pipeline_id, stage_id, owner_id, status, forecast_category, currency, close_month)
);
INSERT INTO deal_totals
SELECT org_id, pipeline_id, stage_id, COALESCE(owner_id, ''), status, forecast_category, COALESCE(currency, ''),
       COALESCE(SUBSTR(close_date, 1, 7), ''), COUNT(*), COALESCE(SUM(amount), 0)
FROM deals WHERE deleted_at IS NULL
GROUP BY org_id, pipeline_id, stage_id, COALESCE(owner_id, ''), status, forecast_category, COALESCE(currency, ''),
       COALESCE(SUBSTR(close_date, 1, 7), '');

-- The board's first deals of each stage, oldest in the stage first.
CREATE INDEX deals_org_stage_entered ON deals (org_id, stage_id, stage_entered_at, id);
DROP INDEX deals_org_stage;
