//! The search index behind `GET /v1/search`: one document per searchable record (contacts and
//! companies today; deals and tickets later), kept in the record's transaction.
//!
//! The application tokenizes (lower-cased alphanumeric runs, phone digits with and without the
//! country code) and writes one `search_terms` row per distinct word of a record, with what a
//! hit shows (title, subtitle) and the record's owner (for record visibility), so a search
//! reads that table alone. The index `(org_id, term, rank, record_id)` lists each word's
//! records best first, so a search reads one range of it in order and stops after its page:
//! the cost does not grow with the number of matches, even for a two-letter prefix. The same
//! query runs on both databases.
//!
//! Ranking: records with a word equal to the query's (longest) word come before records with a
//! word it only prefixes, and those in word order; records sharing a word by `rank`: the word
//! is the whole title, then the title's first word, another title word, elsewhere (an e-mail, a
//! domain, a phone); then the shorter title and the id. Every other query word must prefix
//! some word of the record too.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::search_terms;
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

/// Longest query, in tokens.
const MAX_QUERY_TOKENS: usize = 8;

/// Above every character a word may hold: `prefix` + this bounds the words starting with
/// `prefix` (both databases compare the words byte-wise, and UTF-8 keeps code point order).
const PAST_PREFIX: char = '\u{10FFFF}';

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

/// A hit with its scan and its place in the index, where the scan's next page starts.
#[derive(QueryableByName)]
struct Entry {
    #[diesel(sql_type = BigInt)]
    phase: i64,
    #[diesel(sql_type = Text)]
    term: String,
    #[diesel(sql_type = BigInt)]
    rank: i64,
    #[diesel(embed)]
    hit: Hit,
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

/// Where a record ranks among the records sharing `term` (see the module's comment; the
/// migration that built `search_terms` computes the same in SQL).
fn rank(term: &str, title_words: &[String], title: &str) -> i64 {
    let place = match title_words {
        [only] if only == term => 0,
        [first, ..] if first == term => 1,
        words if words.iter().any(|w| w == term) => 2,
        _ => 3,
    };
    place * 1000 + title.chars().count().min(999) as i64
}

/// Writes (or rewrites) a record's document.
pub fn put(conn: &mut DbConnection, scope: &Scope, doc: &Document<'_>) -> ApiResult<()> {
    remove(conn, scope, doc.record_id)?;
    if let Some(insert) = insert(scope, doc) {
        Statement::new(insert).execute(conn)?;
    }
    Ok(())
}

/// The distinct words of a document.
fn terms(doc: &Document<'_>) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for token in doc.texts.iter().flat_map(|t| tokens(t)).chain(doc.phones.iter().flat_map(|p| phone_tokens(p))) {
        if !terms.contains(&token) {
            terms.push(token);
        }
    }
    terms
}

const TERM_COLUMNS: [&str; 8] = ["org_id", "record_id", "term", "record_type", "rank", "title", "subtitle", "owner_id"];

/// A document's rows of `search_terms`, one per word.
fn term_rows(scope: &Scope, doc: &Document<'_>) -> Vec<Vec<Piece>> {
    let title_words: Vec<String> = tokens(doc.title).collect();
    let (text, optional) = (Piece::text, |s: Option<&str>| Piece::OptionalText(s.map(str::to_string)));
    let row = |term: String| {
        let rank = Piece::BigInt(rank(&term, &title_words, doc.title));
        let (org, record, kind) = (text(scope.org_id()), text(doc.record_id), text(doc.record_type));
        vec![
            org,
            record,
            Piece::Text(term),
            kind,
            rank,
            text(doc.title),
            optional(doc.subtitle),
            optional(doc.owner_id),
        ]
    };
    terms(doc).into_iter().map(row).collect()
}

/// The `INSERT` of a new record's document (none when it has no word), to run within the
/// record's write: one statement for all of its words, cached by their number.
pub fn insert(scope: &Scope, doc: &Document<'_>) -> Option<Vec<Piece>> {
    crate::sql::insert_values("search_terms", &TERM_COLUMNS, term_rows(scope, doc))
}

/// Writes the documents of many new records: a multi-row statement per chunk of words.
pub fn add_many(conn: &mut DbConnection, scope: &Scope, docs: &[Document<'_>]) -> ApiResult<()> {
    let per_statement = crate::db::rows_per_statement(TERM_COLUMNS.len());
    let mut rows = docs.iter().flat_map(|doc| term_rows(scope, doc)).peekable();
    while rows.peek().is_some() {
        let chunk = rows.by_ref().take(per_statement).collect();
        if let Some(insert) = crate::sql::insert_values("search_terms", &TERM_COLUMNS, chunk) {
            Statement::uncached(insert).execute(conn)?;
        }
    }
    Ok(())
}

/// Takes a record out of the index (trashed, merged, erased).
pub fn remove(conn: &mut DbConnection, scope: &Scope, record_id: &str) -> ApiResult<()> {
    diesel::delete(
        search_terms::table
            .filter(search_terms::org_id.eq(scope.org_id()))
            .filter(search_terms::record_id.eq(record_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Takes many records out of the index (before [`add_many`] puts their new documents in).
pub fn remove_many(conn: &mut DbConnection, scope: &Scope, record_ids: &[&str]) -> ApiResult<()> {
    for chunk in record_ids.chunks(crate::db::rows_per_statement(1)) {
        diesel::delete(
            search_terms::table
                .filter(search_terms::org_id.eq(scope.org_id()))
                .filter(search_terms::record_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Which words of the index a scan reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Words {
    /// Exactly the query word.
    Equal = 0,
    /// The words the query word prefixes, itself excluded.
    Longer = 1,
}

/// What a search looks for: the longest query word leads (the fewest records share it), the
/// other words filter.
struct Query<'a> {
    scope: &'a Scope,
    lead: String,
    others: Vec<String>,
    record_types: &'a [&'static str],
    limit: i64,
}

/// The best `limit` records of `record_types` in the scope's sight with a word starting with
/// each word of `query`.
pub fn search(
    conn: &mut DbConnection,
    scope: &Scope,
    query: &str,
    record_types: &[&'static str],
    limit: i64,
) -> ApiResult<Vec<Hit>> {
    let mut words: Vec<String> = tokens(query).take(MAX_QUERY_TOKENS).collect();
    if words.is_empty() || record_types.is_empty() || limit < 1 {
        return Ok(Vec::new());
    }
    let lead = (0..words.len()).max_by_key(|&i| (words[i].chars().count(), std::cmp::Reverse(i))).unwrap_or(0);
    let lead = words.remove(lead);
    let query = Query { scope, lead, others: words, record_types, limit };
    // The first page of both scans in one statement. A scan whose page came back full may
    // hold more, read page by page after it: needed only when records repeat among the
    // longer words (each record is listed once).
    let mut pieces = vec![Piece::Sql("SELECT * FROM (".into())];
    pieces.extend(query.scan(Words::Equal, None));
    pieces.push(Piece::Sql(") e UNION ALL SELECT * FROM (".into()));
    pieces.extend(query.scan(Words::Longer, None));
    pieces.push(Piece::Sql(") l ORDER BY phase, term, rank, record_id".into()));
    let first: Vec<Entry> = Statement::new(pieces).load(conn)?;
    let (equal, longer): (Vec<Entry>, Vec<Entry>) = first.into_iter().partition(|e| e.phase == Words::Equal as i64);
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut hits = Vec::new();
    let mut seen = HashSet::new();
    for (which, mut page) in [(Words::Equal, equal), (Words::Longer, longer)] {
        loop {
            let full = page.len() as i64 == limit;
            let after = page.last().map(|e| (e.term.clone(), e.rank, e.hit.record_id.clone()));
            for entry in page {
                if seen.insert(entry.hit.record_id.clone()) {
                    hits.push(entry.hit);
                    if hits.len() == wanted {
                        return Ok(hits);
                    }
                }
            }
            if !full {
                break;
            }
            page = Statement::new(query.scan(which, after.as_ref())).load(conn)?;
        }
    }
    Ok(hits)
}

impl Query<'_> {
    /// One page of index entries for the lead word, in index order, from `after` on.
    fn scan(&self, which: Words, after: Option<&(String, i64, String)>) -> Vec<Piece> {
        let (sql, text) = (|s: &str| Piece::Sql(s.to_string()), |s: &str| Piece::Text(s.to_string()));
        let lead = self.lead.as_str();
        let mut pieces = vec![
            sql(&format!(
                "SELECT CAST({} AS BIGINT) AS phase, t.term, t.rank, t.record_type, t.record_id, t.title, t.subtitle \
                 FROM search_terms t WHERE t.org_id = ",
                which as i64
            )),
            text(self.scope.org_id()),
        ];
        match which {
            Words::Equal => pieces.extend([sql(" AND t.term = "), text(lead)]),
            Words::Longer => pieces.extend([
                sql(" AND t.term > "),
                text(lead),
                sql(" AND t.term < "),
                Piece::Text(format!("{lead}{PAST_PREFIX}")),
            ]),
        }
        if let Some((term, rank, record_id)) = after {
            pieces.extend([
                sql(" AND (t.term, t.rank, t.record_id) > ("),
                text(term),
                sql(", "),
                Piece::BigInt(*rank),
                sql(", "),
                text(record_id),
                sql(")"),
            ]);
        }
        // Record types come from a closed list of names, never from the request's text.
        let types = self.record_types.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
        pieces.push(sql(&format!(" AND t.record_type IN ({types})")));
        for record_type in self.record_types {
            if let Some(sight) = self.scope.sight(record_type, "t.owner_id") {
                pieces.push(sql(&format!(" AND (t.record_type <> '{record_type}' OR ")));
                pieces.extend(sight);
                pieces.push(sql(")"));
            }
        }
        for word in &self.others {
            pieces.extend([
                sql(
                    " AND EXISTS (SELECT 1 FROM search_terms o WHERE o.org_id = t.org_id AND o.record_id = t.record_id \
                     AND o.term >= ",
                ),
                text(word),
                sql(" AND o.term < "),
                Piece::Text(format!("{word}{PAST_PREFIX}")),
                sql(")"),
            ]);
        }
        pieces.extend([sql(" ORDER BY t.term, t.rank, t.record_id LIMIT "), Piece::BigInt(self.limit)]);
        pieces
    }
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

    #[test]
    fn a_word_ranks_by_its_place_in_the_title() {
        let title = |t: &str| tokens(t).collect::<Vec<_>>();
        assert_eq!(rank("acme", &title("Acme"), "Acme"), 4);
        assert_eq!(rank("ada", &title("Ada Lovelace"), "Ada Lovelace"), 1012);
        assert_eq!(rank("ada", &title("Bob Ada"), "Bob Ada"), 2007);
        assert_eq!(rank("acme", &title("Bob Ada"), "Bob Ada"), 3007);
        assert_eq!(rank("x", &title("x"), &"x".repeat(5000)), 999);
    }
}
