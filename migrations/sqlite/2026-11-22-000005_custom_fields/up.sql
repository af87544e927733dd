-- Custom fields: typed definitions per organization and record type, and an index of values.
-- The record keeps its values as a JSON object (`custom`, what the API returns); the values
-- table is what filters and sorts read, one row per value (several for a multi-select).

CREATE TABLE custom_field_definitions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    record_type  TEXT NOT NULL,
    key          TEXT NOT NULL,
    label        TEXT NOT NULL,
    description  TEXT,
    field_type   TEXT NOT NULL,
    required     BOOLEAN NOT NULL DEFAULT FALSE,
    min_value    DOUBLE PRECISION,
    max_value    DOUBLE PRECISION,
    pattern      TEXT,
    options      TEXT NOT NULL DEFAULT '[]',
    archived_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX custom_field_definitions_key ON custom_field_definitions (org_id, record_type, key);

CREATE TABLE custom_field_values (
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    record_type   TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    field_key     TEXT NOT NULL,
    text_value    TEXT,
    number_value  DOUBLE PRECISION
);
CREATE INDEX custom_field_values_text ON custom_field_values (org_id, record_type, field_key, text_value);
CREATE INDEX custom_field_values_number ON custom_field_values (org_id, record_type, field_key, number_value);
CREATE INDEX custom_field_values_record ON custom_field_values (record_id, field_key);

ALTER TABLE contacts ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
ALTER TABLE companies ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
