DROP TABLE kb_article_search;
DROP TABLE kb_article_revisions;
DROP TABLE kb_articles;
DROP TABLE kb_categories;
DROP TABLE kb_sites;
