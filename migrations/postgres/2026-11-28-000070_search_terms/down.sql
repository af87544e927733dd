DROP TABLE search_terms;
ALTER TABLE search_documents DROP CONSTRAINT search_documents_pkey;
ALTER TABLE search_documents ADD PRIMARY KEY (record_id);
CREATE INDEX search_documents_org ON search_documents (org_id, record_type);
CREATE INDEX search_documents_terms ON search_documents USING GIN (to_tsvector('simple', terms));
