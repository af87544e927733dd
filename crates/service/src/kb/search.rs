//! Full-text search of articles on each backend's own engine: PostgreSQL's text search over a
//! GIN index of `to_tsvector('simple', title || ' ' || body)`, SQLite's FTS5 table
//! `kb_article_search` (written here, with each article). Words match by prefix; best first
//! (`ts_rank`, `bm25`).

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
/// of a category when given.
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
    let (query, mut pieces) = match conn.backend() {
        Backend::Postgres => {
            let joiner = if words == Words::All { " & " } else { " | " };
            let query = terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(joiner);
            // The query inline (not a CTE's column) so that the GIN index of the document serves
            // the match; it is bound twice, for the match and the rank.
            let document = "to_tsvector('simple', a.title || ' ' || a.body)";
            let pieces = vec![
                Piece::Sql(format!("SELECT a.id AS id FROM kb_articles a WHERE {document} @@ to_tsquery('simple', ")),
                Piece::Text(query.clone()),
                Piece::Sql(") AND a.org_id = ".into()),
                Piece::text(scope.org_id()),
            ];
            let order = vec![
                Piece::Sql(format!(" ORDER BY ts_rank({document}, to_tsquery('simple', ")),
                Piece::Text(query),
                Piece::Sql(")) DESC, a.id".into()),
            ];
            (order, pieces)
        }
        Backend::Sqlite => {
            let joiner = if words == Words::All { " " } else { " OR " };
            let query = terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(joiner);
            let pieces = vec![
                Piece::Sql(
                    "SELECT a.id AS id FROM kb_article_search s JOIN kb_articles a ON a.org_id = s.org_id AND a.id = \
                     s.article_id WHERE kb_article_search MATCH "
                        .into(),
                ),
                Piece::Text(query),
                Piece::Sql(" AND s.org_id = ".into()),
                Piece::text(scope.org_id()),
            ];
            (vec![Piece::Sql(" ORDER BY bm25(kb_article_search), a.id".into())], pieces)
        }
    };
    if published {
        pieces.push(Piece::Sql(" AND a.status = 'published'".into()));
    }
    if let Some(category) = category_id {
        pieces.push(Piece::Sql(" AND a.category_id = ".into()));
        pieces.push(Piece::text(category));
    }
    pieces.extend(query);
    pieces.push(Piece::Sql(format!(" LIMIT {}", limit.clamp(1, 200))));
    let found: Vec<Found> = Statement::new(pieces).load(conn)?;
    Ok(found.into_iter().map(|f| f.id).collect())
}
