//! What an erasure leaves behind: the keyed hash of an erased person's e-mail
//! (`erased_emails`), so they are never written to again — outbound mail refuses them, and
//! contacts never quietly brings them back. And what every domain takes part in an erasure
//! with: its [`Eraser`] (registered in its `Domain::erasers`) and the scrubbing of free text.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::auth::secrets::Keys;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::erased_emails;
use crate::scope::Scope;

/// Whether `email` belonged to a contact of the organization who was erased.
pub fn is_erased(conn: &mut DbConnection, keys: &Keys, scope: &Scope, email: &str) -> ApiResult<bool> {
    let org_id = scope.org_id();
    let hash = keys.hash_erased_email(email);
    Ok(erased_emails::table
        .find((org_id, hash))
        .select(erased_emails::erased_at)
        .first::<NaiveDateTime>(conn)
        .optional()?
        .is_some())
}

/// Which of `emails` belonged to erased contacts of the organization.
pub fn erased_among(conn: &mut DbConnection, keys: &Keys, scope: &Scope, emails: &[&str]) -> ApiResult<Vec<String>> {
    let hashes: HashMap<String, &str> = emails.iter().map(|e| (keys.hash_erased_email(e), *e)).collect();
    let wanted: Vec<&String> = hashes.keys().collect();
    let mut erased = Vec::new();
    for chunk in wanted.chunks(crate::db::rows_per_statement(1)) {
        let found: Vec<String> = erased_emails::table
            .filter(erased_emails::org_id.eq(scope.org_id()))
            .filter(erased_emails::email_hash.eq_any(chunk))
            .select(erased_emails::email_hash)
            .load(conn)?;
        erased.extend(found.iter().filter_map(|h| hashes.get(h)).map(|e| e.to_string()));
    }
    Ok(erased)
}

type Backend = <DbConnection as Connection>::Backend;

/// `%text%` for `LIKE … ESCAPE '\'`, lower-cased.
pub fn contains_pattern(text: &str) -> String {
    let escaped = crate::filter::escape_like(&text.to_lowercase());
    format!("%{escaped}%")
}

/// `lower(<column>) LIKE '%needle%'` for any of the needles, on both databases: one scan of
/// the table however many needles (what an erasure looks for). `column` is the caller's constant.
pub fn mentions_any<QS: 'static>(
    column: &str,
    needles: &[String],
) -> Box<dyn BoxableExpression<QS, Backend, SqlType = Bool>> {
    let mut condition: Box<dyn BoxableExpression<QS, Backend, SqlType = Bool>> = Box::new(sql::<Bool>("1 = 0"));
    for needle in needles {
        let mentions = sql::<Bool>(&format!("lower({column}) LIKE "))
            .bind::<Text, _>(contains_pattern(needle))
            .sql(" ESCAPE '\\'");
        condition = Box::new(condition.or(mentions));
    }
    condition
}

/// What replaces the text an erasure removed.
pub const ERASED: &str = "[erased]";

/// A contact being erased, as a domain's [`Eraser`] needs them.
pub struct Erasure<'a> {
    pub contact_id: &'a str,
    pub emails: &'a [String],
    /// What names them in free text: their e-mail addresses, phone numbers and full name.
    pub needles: &'a [String],
}

/// Records of one type an eraser scrubbed: the erasure then redacts their earlier audit
/// entries and events as well.
pub struct Scrubbed {
    pub record_type: &'static str,
    pub ids: Vec<String>,
}

/// A domain's part of erasing a contact, in the erasure's transaction: what it holds of them
/// (records they wrote or asked, free text naming them), scrubbed.
pub type Eraser = fn(&mut DbConnection, &Scope, &Erasure<'_>) -> ApiResult<Vec<Scrubbed>>;

/// `text` with every needle replaced by [`ERASED`], whatever its case.
pub fn scrub_text(text: &str, needles: &[String]) -> String {
    let mut out = text.to_string();
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        let lower_needle = needle.to_ascii_lowercase();
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.to_ascii_lowercase().find(&lower_needle) {
            result.push_str(&rest[..at]);
            result.push_str(ERASED);
            rest = &rest[at + lower_needle.len()..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Whether `text` names any of the needles, whatever its case.
pub fn text_mentions(text: &str, needles: &[String]) -> bool {
    let lower = text.to_ascii_lowercase();
    needles.iter().any(|n| !n.is_empty() && lower.contains(&n.to_ascii_lowercase()))
}
