//! Full-text search of articles on each backend's own engine: PostgreSQL's text search over the
//! stored column `search_document` (the words of title and body, weighted, kept by the database)
//! and its GIN index, SQLite's FTS5 table `kb_article_search` (written here, with each article).
//! Whole words, then prefixes; best first (`ts_rank`, `bm25`). The ranking and the articles'
//! rows come in one statement.

use crm_core::db::{Backend, DbConnection};
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::RunQueryDsl;

use super::model::Article;

/// The words searched for at most.
const MAX_WORDS: usize = 16;

/// How the words of a query combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Every word (a search).
    All,
    /// Any word (suggestions from a ticket's text).
    Any,
}

/// Writes the article's words into SQLite's FTS5 table (PostgreSQL's index follows the row).
pub fn index(conn: &mut DbConnection, scope: &Scope, id: &str, title: &str, body: &str) -> ApiResult<()> {
    if conn.backend() != Backend::Sqlite {
        return Ok(());
    }
    remove(conn, scope, id)?;
    Statement::new(crm_core::sql::insert_row(
        "kb_article_search",
        vec![
            ("org_id", Piece::text(scope.org_id())),
            ("article_id", Piece::text(id)),
            ("title", Piece::text(title)),
            ("body", Piece::text(body)),
        ],
    ))
    .execute(conn)?;
    Ok(())
}

pub fn remove(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    if conn.backend() != Backend::Sqlite {
        return Ok(());
    }
    Statement::new(vec![
        Piece::Sql("DELETE FROM kb_article_search WHERE org_id = ".into()),
        Piece::text(scope.org_id()),
        Piece::Sql(" AND article_id = ".into()),
        Piece::text(id),
    ])
    .execute(conn)?;
    Ok(())
}

/// The articles matching `text`, best first: published ones only when `published`,
/// of a category when given. Whole words first; when they fill fewer than `limit`, the words as
/// prefixes (what someone still typing means) after them: an article with the very word outranks
/// one with a longer word that starts with it.
pub fn search(
    conn: &mut DbConnection,
    scope: &Scope,
    text: &str,
    words: Words,
    published: bool,
    category_id: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Article>> {
    // Letters and digits only: nothing of the query reaches the engine's own syntax.
    let mut terms: Vec<String> = crm_core::search_index::tokens(text).collect();
    terms.dedup();
    terms.truncate(MAX_WORDS);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let limit = limit.clamp(1, 200);
    let pass = Pass { terms: &terms, words, published, category_id, limit };
    let mut found = pass.run(conn, scope, false)?;
    if (found.len() as i64) < limit {
        for article in pass.run(conn, scope, true)? {
            if found.len() as i64 == limit {
                break;
            }
            if !found.iter().any(|a| a.id == article.id) {
                found.push(article);
            }
        }
    }
    Ok(found)
}

/// The matches a pass ranks at most: a query that matches more ranks the first this many found
/// (as a search engine caps the words a prefix expands to), so that a word's first letters cost
/// what a precise word costs. Typing more of the word narrows it.
const CANDIDATES: i64 = 1000;

/// One search of the index: the words whole or as prefixes.
struct Pass<'a> {
    terms: &'a [String],
    words: Words,
    published: bool,
    category_id: Option<&'a str>,
    limit: i64,
}

impl Pass<'_> {
    /// The page's articles: the best `limit` of the first [`CANDIDATES`] matches, ranked in
    /// `r`, then their rows by key.
    fn run(&self, conn: &mut DbConnection, scope: &Scope, prefixes: bool) -> ApiResult<Vec<Article>> {
        let backend = conn.backend();
        let query = self.query(backend, prefixes);
        let mut pieces = vec![Piece::Sql(format!("SELECT {} FROM (SELECT c.id, ", super::model::ARTICLE_COLUMNS))];
        pieces.extend(match backend {
            // The stored, weighted document (titles above bodies) matched through its GIN index
            // and ranked by `ts_rank`.
            Backend::Postgres => vec![
                Piece::Sql("ts_rank(c.search_document, to_tsquery('simple', ".into()),
                Piece::Text(query.clone()),
                Piece::Sql(
                    ")) AS rank FROM (SELECT a.id, a.search_document FROM kb_articles a \
                     WHERE a.search_document @@ to_tsquery('simple', "
                        .into(),
                ),
                Piece::Text(query.clone()),
                Piece::Sql(") AND a.org_id = ".into()),
                Piece::text(scope.org_id()),
            ],
            // FTS5's `bm25`, titles weighing as PostgreSQL's 'A' over 'B' (columns: org_id,
            // article_id, title, body); the articles' table joined only to filter (the join
            // costs as much as the ranking).
            Backend::Sqlite => vec![
                Piece::Sql(format!(
                    "c.score AS rank FROM (SELECT s.article_id AS id, bm25(kb_article_search, 0, 0, 2.5, 1.0) AS score \
                     FROM kb_article_search s {} WHERE kb_article_search MATCH ",
                    match self.published || self.category_id.is_some() {
                        true => "JOIN kb_articles a ON a.org_id = s.org_id AND a.id = s.article_id",
                        false => "",
                    }
                )),
                Piece::Text(query.clone()),
                Piece::Sql(" AND s.org_id = ".into()),
                Piece::text(scope.org_id()),
            ],
        });
        if self.published {
            pieces.push(Piece::Sql(" AND a.status = 'published'".into()));
        }
        if let Some(category) = self.category_id {
            pieces.push(Piece::Sql(" AND a.category_id = ".into()));
            pieces.push(Piece::text(category));
        }
        // ts_rank grows with relevance; bm25 is lower the better.
        let order = match backend {
            Backend::Postgres => "rank DESC",
            Backend::Sqlite => "rank",
        };
        pieces.push(Piece::Sql(format!(
            " LIMIT {CANDIDATES}) c ORDER BY {order}, c.id LIMIT {}) r \
             JOIN kb_articles k ON k.org_id = ",
            self.limit
        )));
        pieces.push(Piece::text(scope.org_id()));
        pieces.push(Piece::Sql(format!(" AND k.id = r.id ORDER BY r.{order}, r.id")));
        Ok(Statement::new(pieces).load(conn)?)
    }

    /// The engine's query: every word (or any), each whole or as a prefix.
    fn query(&self, backend: Backend, prefixes: bool) -> String {
        let joiner = match (backend, self.words) {
            (Backend::Postgres, Words::All) => " & ",
            (Backend::Postgres, Words::Any) => " | ",
            (Backend::Sqlite, Words::All) => " ",
            (Backend::Sqlite, Words::Any) => " OR ",
        };
        let term = |t: &String| match (backend, prefixes) {
            (Backend::Postgres, false) => t.clone(),
            (Backend::Postgres, true) => format!("{t}:*"),
            (Backend::Sqlite, false) => format!("\"{t}\""),
            (Backend::Sqlite, true) => format!("\"{t}\"*"),
        };
        self.terms.iter().map(term).collect::<Vec<_>>().join(joiner)
    }
}
