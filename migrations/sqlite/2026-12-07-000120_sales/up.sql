-- Sales: pipelines with ordered stages, deals, the people on each deal and every deal's stage
-- history (entry and exit times: cycle length and velocity are read from it).

CREATE TABLE pipelines (
    id          TEXT NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    name        TEXT NOT NULL,
    -- the order pipelines are listed in; the lowest is the default for new deals
    position    INTEGER NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX pipelines_org_name ON pipelines (org_id, name);
CREATE INDEX pipelines_org_position ON pipelines (org_id, position, id);

CREATE TABLE pipeline_stages (
    id           TEXT NOT NULL,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    pipeline_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    -- win probability in percent
    probability  INTEGER NOT NULL,
    -- open, won or lost
    kind         TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, pipeline_id) REFERENCES pipelines (org_id, id) ON DELETE CASCADE
);
CREATE INDEX pipeline_stages_org_pipeline ON pipeline_stages (org_id, pipeline_id, position);

CREATE TABLE deals (
    id                 TEXT NOT NULL,
    org_id             TEXT NOT NULL REFERENCES organizations (id),
    name               TEXT NOT NULL,
    sort_name          TEXT NOT NULL,
    amount             BIGINT,
    currency           TEXT,
    -- YYYY-MM-DD
    close_date         TEXT,
    pipeline_id        TEXT NOT NULL,
    stage_id           TEXT NOT NULL,
    -- open, won or lost: the kind of its stage
    status             TEXT NOT NULL,
    owner_id           TEXT REFERENCES users (id),
    company_id         TEXT,
    source             TEXT,
    lost_reason        TEXT,
    next_step          TEXT,
    forecast_category  TEXT NOT NULL,
    stage_entered_at   TIMESTAMP NOT NULL,
    closed_at          TIMESTAMP,
    tags               TEXT NOT NULL,
    external_ids       TEXT NOT NULL,
    custom             TEXT NOT NULL DEFAULT '{}',
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    deleted_at         TIMESTAMP,
    version            BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, pipeline_id) REFERENCES pipelines (org_id, id),
    FOREIGN KEY (org_id, stage_id) REFERENCES pipeline_stages (org_id, id),
    FOREIGN KEY (org_id, company_id) REFERENCES companies (org_id, id)
);
CREATE INDEX deals_org_created ON deals (org_id, created_at, id);
CREATE INDEX deals_org_updated ON deals (org_id, updated_at, id);
CREATE INDEX deals_org_sort_name ON deals (org_id, sort_name, id);
CREATE INDEX deals_org_amount ON deals (org_id, amount, id);
CREATE INDEX deals_org_close_date ON deals (org_id, close_date, id);
CREATE INDEX deals_org_owner ON deals (org_id, owner_id);
CREATE INDEX deals_org_company ON deals (org_id, company_id);
CREATE INDEX deals_org_stage ON deals (org_id, stage_id);
-- The board and the forecast: a pipeline's deals by status and stage.
CREATE INDEX deals_org_pipeline ON deals (org_id, pipeline_id, status, stage_id);
CREATE INDEX deals_org_deleted ON deals (org_id, deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE deal_contacts (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    deal_id     TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    role        TEXT,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, deal_id, contact_id),
    FOREIGN KEY (org_id, deal_id) REFERENCES deals (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id)
);
CREATE INDEX deal_contacts_org_contact ON deal_contacts (org_id, contact_id);

CREATE TABLE deal_stage_history (
    id           TEXT NOT NULL,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    deal_id      TEXT NOT NULL,
    pipeline_id  TEXT NOT NULL,
    stage_id     TEXT NOT NULL,
    entered_at   TIMESTAMP NOT NULL,
    -- NULL while the deal is in the stage
    exited_at    TIMESTAMP,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, deal_id) REFERENCES deals (org_id, id) ON DELETE CASCADE
);
CREATE INDEX deal_stage_history_org_deal ON deal_stage_history (org_id, deal_id, entered_at);
CREATE INDEX deal_stage_history_org_stage ON deal_stage_history (org_id, stage_id);

-- Leads: people and companies not yet qualified, with their BANT qualification and score,
-- until they are converted into a contact (a company, a deal) and become read-only.
CREATE TABLE leads (
    id                    TEXT NOT NULL,
    org_id                TEXT NOT NULL REFERENCES organizations (id),
    first_name            TEXT,
    last_name             TEXT,
    sort_name             TEXT NOT NULL,
    email                 TEXT,
    phone                 TEXT,
    job_title             TEXT,
    company_name          TEXT,
    company_domain        TEXT,
    industry              TEXT,
    employee_count        BIGINT,
    -- ISO 3166-1 alpha-2
    country               TEXT,
    source                TEXT,
    -- new, working, nurturing, qualified, disqualified, converted
    status                TEXT NOT NULL,
    disqualified_reason   TEXT,
    budget_amount         BIGINT,
    budget_currency       TEXT,
    authority             TEXT,
    need                  TEXT,
    -- YYYY-MM-DD: when the lead means to buy
    timeline              TEXT,
    owner_id              TEXT REFERENCES users (id),
    score                 INTEGER NOT NULL DEFAULT 0,
    converted_at          TIMESTAMP,
    -- JSON {"contact_id", "company_id", "deal_id"} of what a converted lead became
    converted_to          TEXT,
    tags                  TEXT NOT NULL,
    external_ids          TEXT NOT NULL,
    custom                TEXT NOT NULL DEFAULT '{}',
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    deleted_at            TIMESTAMP,
    version               BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX leads_org_created ON leads (org_id, created_at, id);
CREATE INDEX leads_org_updated ON leads (org_id, updated_at, id);
CREATE INDEX leads_org_sort_name ON leads (org_id, sort_name, id);
CREATE INDEX leads_org_score ON leads (org_id, score, id);
CREATE INDEX leads_org_status ON leads (org_id, status);
CREATE INDEX leads_org_owner ON leads (org_id, owner_id);
CREATE INDEX leads_org_email ON leads (org_id, email);
CREATE INDEX leads_org_deleted ON leads (org_id, deleted_at) WHERE deleted_at IS NOT NULL;
