-- Search by word prefix from a B-tree of (organization, word) instead of a GIN index of
-- documents: the best few matches of even a two-letter prefix are the first entries of one
-- index range, read in order, so a search stops after its page instead of scoring every match.
-- One row per distinct word of a record, carrying what a hit shows (title, subtitle) and what
-- record visibility needs (owner), so a search reads this table alone.
-- `rank` orders the records sharing a word: the word is the whole title (0), the title's first
-- word (1), another title word (2), elsewhere (3); times 1000, plus the title's length (to 999).
-- `term` compares byte-wise (COLLATE "C") so that a prefix is one index range.

CREATE TABLE search_terms (
    org_id       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    term         TEXT COLLATE "C" NOT NULL,
    record_type  TEXT NOT NULL,
    rank         BIGINT NOT NULL,
    title        TEXT NOT NULL,
    subtitle     TEXT,
    owner_id     TEXT,
    PRIMARY KEY (org_id, record_id, term)
);

INSERT INTO search_terms (org_id, record_id, term, record_type, rank, title, subtitle, owner_id)
SELECT DISTINCT ON (d.org_id, d.record_id, w.term) d.org_id, d.record_id, w.term, d.record_type,
    CASE WHEN d.title_key = w.term THEN 0
         WHEN left(d.title_key, length(w.term) + 1) = w.term || ' ' THEN 1
         WHEN strpos(' ' || d.title_key || ' ', ' ' || w.term || ' ') > 0 THEN 2
         ELSE 3 END * 1000 + LEAST(length(d.title), 999),
    d.title, d.subtitle, d.owner_id
FROM search_documents d, unnest(string_to_array(d.terms, ' ')) AS w (term)
WHERE w.term <> '';

CREATE INDEX search_terms_ranked ON search_terms (org_id, term, rank, record_id);
DROP TABLE search_documents;
