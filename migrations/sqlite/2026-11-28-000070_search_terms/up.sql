-- Search by word prefix from a B-tree of (organization, word) instead of FTS5: the best few
-- matches of even a two-letter prefix are the first entries of one index range, read in order,
-- so a search stops after its page instead of scoring every match; and both databases now run
-- the same query on the same index. One row per distinct word of a record, carrying what a hit
-- shows (title, subtitle) and what record visibility needs (owner), so a search reads this
-- table alone. `rank` orders the records sharing a word: the word is the whole title (0), the
-- title's first word (1), another title word (2), elsewhere (3); times 1000, plus the title's
-- length (to 999).

DROP TRIGGER search_documents_ai;
DROP TRIGGER search_documents_ad;
DROP TRIGGER search_documents_au;
DROP TABLE search_fts;

CREATE TABLE search_terms (
    org_id       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    term         TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    rank         BIGINT NOT NULL,
    title        TEXT NOT NULL,
    subtitle     TEXT,
    owner_id     TEXT,
    PRIMARY KEY (org_id, record_id, term)
) WITHOUT ROWID;

WITH RECURSIVE words (org_id, record_id, record_type, title, title_key, subtitle, owner_id, rest, term) AS (
    SELECT org_id, record_id, record_type, title, title_key, subtitle, owner_id, terms || ' ', '' FROM search_documents
    UNION ALL
    SELECT org_id, record_id, record_type, title, title_key, subtitle, owner_id, substr(rest, instr(rest, ' ') + 1),
        substr(rest, 1, instr(rest, ' ') - 1)
    FROM words WHERE rest <> ''
)
INSERT OR IGNORE INTO search_terms (org_id, record_id, term, record_type, rank, title, subtitle, owner_id)
SELECT org_id, record_id, term, record_type,
    CASE WHEN title_key = term THEN 0
         WHEN substr(title_key, 1, length(term) + 1) = term || ' ' THEN 1
         WHEN instr(' ' || title_key || ' ', ' ' || term || ' ') > 0 THEN 2
         ELSE 3 END * 1000 + min(length(title), 999),
    title, subtitle, owner_id
FROM words WHERE term <> '';

CREATE INDEX search_terms_ranked ON search_terms (org_id, term, rank, record_id);
DROP TABLE search_documents;
