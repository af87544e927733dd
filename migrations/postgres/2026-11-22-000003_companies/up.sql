-- Companies (accounts) and which people work where.

CREATE TABLE companies (
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
);
CREATE INDEX companies_org_created ON companies (org_id, created_at, id);
CREATE INDEX companies_org_updated ON companies (org_id, updated_at, id);
CREATE INDEX companies_org_sort_name ON companies (org_id, sort_name, id);
CREATE UNIQUE INDEX companies_org_domain ON companies (org_id, domain) WHERE deleted_at IS NULL AND domain IS NOT NULL;
CREATE INDEX companies_org_parent ON companies (org_id, parent_id);
CREATE INDEX companies_org_owner ON companies (org_id, owner_id);

CREATE TABLE contact_companies (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    company_id  TEXT NOT NULL REFERENCES companies (id),
    role        TEXT,
    is_primary  BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, contact_id, company_id)
);
CREATE INDEX contact_companies_org_company ON contact_companies (org_id, company_id, contact_id);
