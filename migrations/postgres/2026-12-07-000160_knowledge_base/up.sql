-- The knowledge base (crm-service): categories, articles with every revision, and the public
-- site that serves the published ones by a slug.
CREATE TABLE kb_sites (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- The public site's address, /v1/public/kb/{slug}/…: one organization's, whoever asks
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id)
);
CREATE UNIQUE INDEX kb_sites_slug ON kb_sites (slug);

CREATE TABLE kb_categories (
    id           TEXT NOT NULL,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    description  TEXT,
    position     INTEGER NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX kb_categories_org_position ON kb_categories (org_id, position, id);

CREATE TABLE kb_articles (
    id             TEXT NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    category_id    TEXT,
    title          TEXT NOT NULL,
    -- Markdown
    body           TEXT NOT NULL,
    -- draft, published
    status         TEXT NOT NULL,
    -- The revision the title and body are
    revision       INTEGER NOT NULL,
    helpful_yes    BIGINT NOT NULL DEFAULT 0,
    helpful_no     BIGINT NOT NULL DEFAULT 0,
    published_at   TIMESTAMP,
    created_by     TEXT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, category_id) REFERENCES kb_categories (org_id, id)
);
CREATE INDEX kb_articles_org_category ON kb_articles (org_id, category_id);
CREATE INDEX kb_articles_org_updated ON kb_articles (org_id, updated_at, id);
CREATE INDEX kb_articles_org_status ON kb_articles (org_id, status, updated_at, id);

CREATE TABLE kb_article_revisions (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    article_id  TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, article_id, revision),
    FOREIGN KEY (org_id, article_id) REFERENCES kb_articles (org_id, id) ON DELETE CASCADE
);

-- Full-text search: the words of the title and body, language-neutral ('simple': no stemming,
-- no stop words dropped), matched by prefix.
CREATE INDEX kb_articles_search ON kb_articles USING GIN (to_tsvector('simple', title || ' ' || body));
