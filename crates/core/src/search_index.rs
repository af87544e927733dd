//! The search index behind `GET /v1/search`: one document per searchable record (contacts and
//! companies today; deals and tickets later), kept in the record's transaction.
//!
//! The application tokenizes (lower-cased alphanumeric runs, phone digits with and without the
//! country code) and stores the tokens space-separated in `terms`; SQLite's FTS5 and
//! PostgreSQL's `to_tsvector('simple', …)` then index exactly the same tokens, so a query
//! finds the same records on both. Ranking is one portable SQL expression (the whole title, a title
//! starting with the query as a word, the query as a word anywhere, a title starting with it,
//! the rest), then the shorter title, the title and the id.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use crate::db::{Backend, DbConnection};
use crate::error::ApiResult;
use crate::schema::search_documents;
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

/// Longest query, in tokens.
const MAX_QUERY_TOKENS: usize = 8;

/// What a record puts in the index.
pub struct Document<'a> {
    pub record_type: &'static str,
    pub record_id: &'a str,
    pub title: &'a str,
    pub subtitle: Option<&'a str>,
    /// Free text (names, e-mails, domains): split into words.
    pub texts: Vec<&'a str>,
    /// Phone numbers in E.164: indexed as digits, with and without the country code.
    pub phones: Vec<&'a str>,
    /// The record's owner, for record visibility.
    pub owner_id: Option<&'a str>,
}

/// One search result.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = Text)]
    pub record_type: String,
    #[diesel(sql_type = Text)]
    pub record_id: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub subtitle: Option<String>,
}

/// Lower-cased runs of letters and digits.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase)
}

fn phone_tokens(e164: &str) -> Vec<String> {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![digits.clone()];
    if let Ok(number) = phonenumber::parse(None, e164) {
        out.push(number.national().value().to_string());
    }
    out
}

/// Writes (or rewrites) a record's document.
pub fn put(conn: &mut DbConnection, scope: &Scope, doc: &Document<'_>) -> ApiResult<()> {
    let org_id = scope.org_id();
    let mut terms: Vec<String> = Vec::new();
    for token in doc.texts.iter().flat_map(|t| tokens(t)).chain(doc.phones.iter().flat_map(|p| phone_tokens(p))) {
        if !terms.contains(&token) {
            terms.push(token);
        }
    }
    remove(conn, scope, doc.record_id)?;
    diesel::insert_into(search_documents::table)
        .values((
            search_documents::record_id.eq(doc.record_id),
            search_documents::org_id.eq(org_id),
            search_documents::record_type.eq(doc.record_type),
            search_documents::title.eq(doc.title),
            search_documents::title_key.eq(tokens(doc.title).collect::<Vec<_>>().join(" ")),
            search_documents::subtitle.eq(doc.subtitle),
            search_documents::terms.eq(terms.join(" ")),
            search_documents::owner_id.eq(doc.owner_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes a record out of the index (trashed, merged, erased).
pub fn remove(conn: &mut DbConnection, scope: &Scope, record_id: &str) -> ApiResult<()> {
    diesel::delete(
        search_documents::table
            .filter(search_documents::org_id.eq(scope.org_id()))
            .filter(search_documents::record_id.eq(record_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// The best `limit` records of `record_types` in the scope's sight whose words start with
/// every word of `query`.
pub fn search(
    conn: &mut DbConnection,
    scope: &Scope,
    query: &str,
    record_types: &[&'static str],
    limit: i64,
) -> ApiResult<Vec<Hit>> {
    let words: Vec<String> = tokens(query).take(MAX_QUERY_TOKENS).collect();
    if words.is_empty() || record_types.is_empty() {
        return Ok(Vec::new());
    }
    let key = words.join(" ");
    let escaped = crate::filter::escape_like(&key);
    let (sql, text) = (|s: &str| Piece::Sql(s.to_string()), |s: String| Piece::Text(s));
    let mut pieces = match conn.backend() {
        Backend::Sqlite => vec![
            sql("SELECT d.record_type, d.record_id, d.title, d.subtitle FROM search_fts \
                 JOIN search_documents d ON d.rowid = search_fts.rowid WHERE search_fts MATCH "),
            text(words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")),
        ],
        Backend::Postgres => vec![
            sql("SELECT d.record_type, d.record_id, d.title, d.subtitle FROM search_documents d \
                 WHERE to_tsvector('simple', d.terms) @@ to_tsquery('simple', "),
            text(words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ")),
            sql(")"),
        ],
    };
    pieces.extend([sql(" AND d.org_id = "), text(scope.org_id().to_string())]);
    // Record types come from a closed list of names, never from the request's text.
    let types = record_types.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    pieces.push(sql(&format!(" AND d.record_type IN ({types})")));
    for record_type in record_types {
        if let Some(sight) = scope.sight(record_type, "d.owner_id") {
            pieces.push(sql(&format!(" AND (d.record_type <> '{record_type}' OR ")));
            pieces.extend(sight);
            pieces.push(sql(")"));
        }
    }
    // The whole title, a title starting with the query as a word, the query as a word
    // anywhere, a title starting with it, the rest.
    pieces.extend([
        sql(" ORDER BY CASE WHEN d.title_key = "),
        text(key.clone()),
        sql(" THEN 0 WHEN d.title_key LIKE "),
        text(format!("{escaped} %")),
        sql(" ESCAPE '\\' THEN 1 WHEN (' ' || d.terms || ' ') LIKE "),
        text(format!("% {escaped} %")),
        sql(" ESCAPE '\\' THEN 2 WHEN d.title_key LIKE "),
        text(format!("{escaped}%")),
        sql(" ESCAPE '\\' THEN 3 ELSE 4 END, length(d.title), d.title_key, d.record_id LIMIT "),
        Piece::BigInt(limit),
    ]);
    Ok(Statement::new(pieces).load::<Hit>(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lower_case_words() {
        assert_eq!(
            tokens("Ada.Lovelace@Analytical-Engine.example").collect::<Vec<_>>(),
            ["ada", "lovelace", "analytical", "engine", "example"]
        );
        assert_eq!(phone_tokens("+14155552671"), ["14155552671", "4155552671"]);
    }
}
