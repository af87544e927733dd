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
    -- No foreign key to companies: the trash purge deletes companies for good, and a deal
    -- keeps the id of the company it was with.
    FOREIGN KEY (org_id, stage_id) REFERENCES pipeline_stages (org_id, id)
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
    -- A contact purged from the trash leaves the deals it was on.
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE
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

-- Products with a list price per currency, and price books (named price lists).
CREATE TABLE products (
    id           TEXT NOT NULL,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    sku          TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    active       BOOLEAN NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX products_org_sku ON products (org_id, sku);
CREATE INDEX products_org_created ON products (org_id, created_at, id);
CREATE INDEX products_org_name ON products (org_id, name, id);

CREATE TABLE product_prices (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    product_id  TEXT NOT NULL,
    currency    TEXT NOT NULL,
    unit_price  BIGINT NOT NULL,
    PRIMARY KEY (org_id, product_id, currency),
    FOREIGN KEY (org_id, product_id) REFERENCES products (org_id, id) ON DELETE CASCADE
);

CREATE TABLE price_books (
    id           TEXT NOT NULL,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    description  TEXT,
    active       BOOLEAN NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX price_books_org_name ON price_books (org_id, name);
CREATE INDEX price_books_org_created ON price_books (org_id, created_at, id);

CREATE TABLE price_book_entries (
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    price_book_id  TEXT NOT NULL,
    product_id     TEXT NOT NULL,
    currency       TEXT NOT NULL,
    unit_price     BIGINT NOT NULL,
    PRIMARY KEY (org_id, price_book_id, product_id, currency),
    FOREIGN KEY (org_id, price_book_id) REFERENCES price_books (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, product_id) REFERENCES products (org_id, id) ON DELETE CASCADE
);
CREATE INDEX price_book_entries_org_product ON price_book_entries (org_id, product_id);

-- Quotes of deals, numbered per organization (number_sequences), and orders.
CREATE TABLE quotes (
    id                TEXT NOT NULL,
    org_id            TEXT NOT NULL REFERENCES organizations (id),
    number            TEXT NOT NULL,
    deal_id           TEXT NOT NULL,
    contact_id        TEXT,
    company_id        TEXT,
    price_book_id     TEXT,
    currency          TEXT NOT NULL,
    -- draft, sent, accepted, rejected, expired
    status            TEXT NOT NULL,
    -- YYYY-MM-DD
    valid_until       TEXT NOT NULL,
    notes             TEXT,
    rejection_reason  TEXT,
    order_id          TEXT,
    sent_at           TIMESTAMP,
    decided_at        TIMESTAMP,
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, deal_id) REFERENCES deals (org_id, id)
);
CREATE UNIQUE INDEX quotes_org_number ON quotes (org_id, number);
CREATE INDEX quotes_org_created ON quotes (org_id, created_at, id);
CREATE INDEX quotes_org_deal ON quotes (org_id, deal_id);
CREATE INDEX quotes_org_status ON quotes (org_id, status, valid_until);

CREATE TABLE orders (
    id            TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    number        TEXT NOT NULL,
    quote_id      TEXT,
    deal_id       TEXT,
    contact_id    TEXT,
    company_id    TEXT,
    currency      TEXT NOT NULL,
    -- pending, confirmed, paid, fulfilled, partially_refunded, refunded, cancelled
    status        TEXT NOT NULL,
    placed_at     TIMESTAMP NOT NULL,
    external_ids  TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX orders_org_number ON orders (org_id, number);
CREATE INDEX orders_org_created ON orders (org_id, created_at, id);
CREATE INDEX orders_org_contact ON orders (org_id, contact_id, placed_at);
CREATE INDEX orders_org_company ON orders (org_id, company_id, placed_at);
CREATE INDEX orders_org_deal ON orders (org_id, deal_id);

-- The lines of deals, quotes and orders (`record_type`), priced in integer minor units.
CREATE TABLE line_items (
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    record_type     TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    position        INTEGER NOT NULL,
    product_id      TEXT,
    sku             TEXT,
    description     TEXT NOT NULL,
    -- thousandths
    quantity_milli  BIGINT NOT NULL,
    unit_price      BIGINT NOT NULL,
    -- hundredths of a percent
    discount_bp     INTEGER NOT NULL,
    tax_bp          INTEGER NOT NULL,
    subtotal        BIGINT NOT NULL,
    discount        BIGINT NOT NULL,
    tax             BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    PRIMARY KEY (org_id, record_type, record_id, position)
);
CREATE INDEX line_items_org_product ON line_items (org_id, product_id);

-- The organization's base currency (one row, its id the organization's) and its rates, in
-- billionths of the base currency per unit.
CREATE TABLE currency_settings (
    id             TEXT NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    base_currency  TEXT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE currency_rates (
    org_id    TEXT NOT NULL REFERENCES organizations (id),
    currency  TEXT NOT NULL,
    rate      BIGINT NOT NULL,
    PRIMARY KEY (org_id, currency)
);

-- What each user is to win in a period (2026-Q4, 2026-11, 2026).
CREATE TABLE quotas (
    id          TEXT NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    period      TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX quotas_org_user_period ON quotas (org_id, user_id, period);
CREATE INDEX quotas_org_created ON quotas (org_id, created_at, id);
CREATE INDEX quotas_org_period ON quotas (org_id, period, id);

-- Lead scoring rules: points for a filter over the lead's fields, or for activities about it
-- in a window (with a half-life).
CREATE TABLE lead_scoring_rules (
    id             TEXT NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    name           TEXT NOT NULL,
    -- field or activity
    kind           TEXT NOT NULL,
    -- JSON, the filter language (field rules)
    filter         TEXT,
    activity_kind  TEXT,
    window_days    INTEGER,
    min_count      INTEGER,
    points         INTEGER NOT NULL,
    decay_days     INTEGER,
    active         BOOLEAN NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX lead_scoring_rules_org_created ON lead_scoring_rules (org_id, created_at, id);
