-- Tokens of customers (contacts) for the customer portal: `access` tokens that authenticate
-- them, and single-use `sign_in` tokens e-mailed to them to get one. Stored as keyed hashes;
-- looked up by hash before the organization is known, like API keys.
CREATE TABLE customer_tokens (
    id          TEXT NOT NULL,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    contact_id  TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    -- access, sign_in
    purpose     TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    revoked_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX customer_tokens_hash ON customer_tokens (token_hash);
CREATE INDEX customer_tokens_org_contact ON customer_tokens (org_id, contact_id);
