-- The words of each article kept beside it, titles weighing more than bodies, so that ranking
-- reads the stored vector instead of parsing every matching article again.
DROP INDEX kb_articles_search;
ALTER TABLE kb_articles ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
) STORED;
CREATE INDEX kb_articles_search ON kb_articles USING GIN (search_document);
