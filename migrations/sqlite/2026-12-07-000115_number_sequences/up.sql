-- Numbers per organization without gaps (crm_core::sequence): quotes, orders, invoices…
CREATE TABLE number_sequences (
    org_id  TEXT NOT NULL REFERENCES organizations (id),
    name    TEXT NOT NULL,
    last    BIGINT NOT NULL,
    PRIMARY KEY (org_id, name)
);
