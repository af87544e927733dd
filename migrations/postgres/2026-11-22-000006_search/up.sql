-- One search document per searchable record (contacts, companies; later deals, tickets ...).
-- `terms` holds the record's words already tokenized and lower-cased by the application, so
-- that SQLite (FTS5) and PostgreSQL (tsvector) index exactly the same tokens.

CREATE TABLE search_documents (
    record_id    TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    record_type  TEXT NOT NULL,
    title        TEXT NOT NULL,
    title_key    TEXT NOT NULL,
    subtitle     TEXT,
    terms        TEXT NOT NULL
);
CREATE INDEX search_documents_org ON search_documents (org_id, record_type);
CREATE INDEX search_documents_terms ON search_documents USING GIN (to_tsvector('simple', terms));
