-- Search by word prefix from a B-tree of (organization, word) instead of FTS5: the best few
-- matches of even a two-letter prefix are the first entries of one index range, read in order,
-- so a search stops after its page instead of scoring every match; and both databases now run
-- the same query on the same index. `rank` orders the records sharing a word: the word is the
-- whole title (0), the title's first word (1), another title word (2), elsewhere (3); times
-- 1000, plus the title's length (to 999).

DROP TRIGGER search_documents_ai;
DROP TRIGGER search_documents_ad;
DROP TRIGGER search_documents_au;
DROP TABLE search_fts;

CREATE TABLE search_documents_new (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    record_id    TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    title        TEXT NOT NULL,
    title_key    TEXT NOT NULL,
    subtitle     TEXT,
    terms        TEXT NOT NULL,
    owner_id     TEXT,
    PRIMARY KEY (org_id, record_id)
);
INSERT INTO search_documents_new (org_id, record_id, record_type, title, title_key, subtitle, terms, owner_id)
SELECT org_id, record_id, record_type, title, title_key, subtitle, terms, owner_id FROM search_documents;
DROP TABLE search_documents;
ALTER TABLE search_documents_new RENAME TO search_documents;

CREATE TABLE search_terms (
    org_id       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    term         TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    rank         BIGINT NOT NULL,
    PRIMARY KEY (org_id, record_id, term)
) WITHOUT ROWID;

WITH RECURSIVE words (org_id, record_id, record_type, title, title_key, rest, term) AS (
    SELECT org_id, record_id, record_type, title, title_key, terms || ' ', '' FROM search_documents
    UNION ALL
    SELECT org_id, record_id, record_type, title, title_key, substr(rest, instr(rest, ' ') + 1),
        substr(rest, 1, instr(rest, ' ') - 1)
    FROM words WHERE rest <> ''
)
INSERT OR IGNORE INTO search_terms (org_id, record_id, term, record_type, rank)
SELECT org_id, record_id, term, record_type,
    CASE WHEN title_key = term THEN 0
         WHEN substr(title_key, 1, length(term) + 1) = term || ' ' THEN 1
         WHEN instr(' ' || title_key || ' ', ' ' || term || ' ') > 0 THEN 2
         ELSE 3 END * 1000 + min(length(title), 999)
FROM words WHERE term <> '';

CREATE INDEX search_terms_ranked ON search_terms (org_id, term, rank, record_id);
