-- Back to one document per record (its title lower-cased by SQL, an approximation of the
-- application's tokens).
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
    group_concat(term, ' '), min(owner_id)
FROM search_terms GROUP BY record_id;
CREATE INDEX search_documents_org ON search_documents (org_id, record_type);
DROP TABLE search_terms;

CREATE VIRTUAL TABLE search_fts USING fts5 (
    terms,
    content = 'search_documents',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO search_fts (search_fts) VALUES ('rebuild');
CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_fts (rowid, terms) VALUES (new.rowid, new.terms);
END;
CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.rowid, old.terms);
END;
CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.rowid, old.terms);
    INSERT INTO search_fts (rowid, terms) VALUES (new.rowid, new.terms);
END;
