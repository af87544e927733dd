-- Back to one document per record (its title's words lower-cased by SQL, an approximation of
-- the application's tokens).
CREATE TABLE search_documents (
    record_id    TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    record_type  TEXT NOT NULL,
    title        TEXT NOT NULL,
    title_key    TEXT NOT NULL,
    subtitle     TEXT,
    terms        TEXT NOT NULL,
    owner_id     TEXT
);
INSERT INTO search_documents (record_id, org_id, record_type, title, title_key, subtitle, terms, owner_id)
SELECT record_id, min(org_id), min(record_type), min(title), lower(min(title)), min(subtitle),
    string_agg(term, ' ' ORDER BY rank, term), min(owner_id)
FROM search_terms GROUP BY record_id;
CREATE INDEX search_documents_org ON search_documents (org_id, record_type);
CREATE INDEX search_documents_terms ON search_documents USING GIN (to_tsvector('simple', terms));
DROP TABLE search_terms;
