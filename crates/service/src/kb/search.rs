//! Full-text search of articles on each backend's own engine: PostgreSQL's text search over the
//! stored column `search_document` (the words of title and body, weighted, kept by the database)
//! and its GIN index, SQLite's FTS5 table `kb_article_search` (written here, with each article).
//! Whole words, then prefixes; best first (`ts_rank`, `bm25`).

use crm_core::db::{Backend, DbConnection};
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::RunQueryDsl;

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

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
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

/// The ids of the articles matching `text`, best first: published ones only when `published`,
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
) -> ApiResult<Vec<String>> {
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
        for id in pass.run(conn, scope, true)? {
            if found.len() as i64 == limit {
                break;
            }
            if !found.contains(&id) {
                found.push(id);
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
    fn run(&self, conn: &mut DbConnection, scope: &Scope, prefixes: bool) -> ApiResult<Vec<String>> {
        let backend = conn.backend();
        let query = self.query(backend, prefixes);
        let mut pieces = match backend {
            // The stored, weighted document (titles above bodies) matched through its GIN index
            // and ranked by `ts_rank`.
            Backend::Postgres => vec![
                Piece::Sql(
                    "SELECT id FROM (SELECT a.id, a.search_document FROM kb_articles a \
                     WHERE a.search_document @@ to_tsquery('simple', "
                        .into(),
                ),
                Piece::Text(query.clone()),
                Piece::Sql(") AND a.org_id = ".into()),
                Piece::text(scope.org_id()),
            ],
            // FTS5's `bm25`, titles weighing as PostgreSQL's 'A' over 'B' (columns: org_id,
            // article_id, title, body).
            Backend::Sqlite => vec![
                Piece::Sql(
                    "SELECT id FROM (SELECT a.id AS id, bm25(kb_article_search, 0, 0, 2.5, 1.0) AS score \
                     FROM kb_article_search s JOIN kb_articles a ON a.org_id = s.org_id AND a.id = s.article_id \
                     WHERE kb_article_search MATCH "
                        .into(),
                ),
                Piece::Text(query.clone()),
                Piece::Sql(" AND s.org_id = ".into()),
                Piece::text(scope.org_id()),
            ],
        };
        if self.published {
            pieces.push(Piece::Sql(" AND a.status = 'published'".into()));
        }
        if let Some(category) = self.category_id {
            pieces.push(Piece::Sql(" AND a.category_id = ".into()));
            pieces.push(Piece::text(category));
        }
        pieces.push(Piece::Sql(format!(" LIMIT {CANDIDATES}) c ORDER BY ")));
        match backend {
            Backend::Postgres => {
                pieces.push(Piece::Sql("ts_rank(c.search_document, to_tsquery('simple', ".into()));
                pieces.push(Piece::Text(query));
                pieces.push(Piece::Sql(")) DESC".into()));
            }
            Backend::Sqlite => pieces.push(Piece::Sql("c.score".into())),
        }
        pieces.push(Piece::Sql(format!(", c.id LIMIT {}", self.limit)));
        let found: Vec<Found> = Statement::new(pieces).load(conn)?;
        Ok(found.into_iter().map(|f| f.id).collect())
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
