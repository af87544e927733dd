DROP INDEX kb_articles_search;
ALTER TABLE kb_articles DROP COLUMN search_document;
CREATE INDEX kb_articles_search ON kb_articles USING GIN (to_tsvector('simple', title || ' ' || body));
