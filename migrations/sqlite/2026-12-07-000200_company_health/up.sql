-- Customer health: each company's score (0–100, a band) from weighted components, as last
-- computed (on change and nightly), and the organization's weights.
CREATE TABLE company_health (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    company_id   TEXT NOT NULL,
    score        INTEGER,
    -- healthy, at_risk, critical; unknown without data
    band         TEXT NOT NULL,
    -- JSON array of the components, each with its weight, score and what it was computed from
    components   TEXT NOT NULL,
    computed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, company_id)
);
CREATE INDEX company_health_org_band ON company_health (org_id, band, score);

CREATE TABLE health_settings (
    id          TEXT NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- JSON {"ticket_trend": 25, "csat": 25, "nps": 20, "engagement": 30, "overdue_invoices": 0}
    weights     TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
