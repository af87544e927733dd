//! What any record type can carry: tags, and integrators' external ids
//! (`{"shopify": "123"}`, unique per organization, source and record type).

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::schema::{external_ids, record_tags};
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

pub const MAX_TAGS: usize = 100;
/// External ids of one record: a record's writes send them in one statement, whose bound values
/// both databases cap.
pub const MAX_EXTERNAL_IDS: usize = 100;

/// Trims, drops duplicates, checks length: 422 with a pointer per bad tag.
pub fn normalize_tags(tags: &[String], pointer: &str) -> ApiResult<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::invalid_field(pointer, "too_many", format!("at most {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    let mut errors = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag.trim();
        if tag.is_empty() || tag.chars().count() > 64 {
            errors.push(FieldError::new(format!("{pointer}/{i}"), "length", "a tag has 1 to 64 characters"));
        } else if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(ApiError::validation(errors)) }
}

/// Checks sources and ids: at most [`MAX_EXTERNAL_IDS`], sources are `[a-z0-9_-]{1,32}`, ids 1
/// to 255 characters.
pub fn check_external_ids(ids: &BTreeMap<String, String>, pointer: &str) -> ApiResult<()> {
    if ids.len() > MAX_EXTERNAL_IDS {
        let detail = format!("at most {MAX_EXTERNAL_IDS} external ids");
        return Err(ApiError::invalid_field(pointer, "too_many", detail));
    }
    let mut errors = Vec::new();
    for (source, id) in ids {
        if !is_source(source) {
            errors.push(FieldError::new(
                format!("{pointer}/{source}"),
                "invalid_source",
                "a source is 1 to 32 of a-z, 0-9, _ and -",
            ));
        } else if id.trim().is_empty() || id.len() > 255 {
            errors.push(FieldError::new(
                format!("{pointer}/{source}"),
                "length",
                "an external id has 1 to 255 characters",
            ));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

pub fn is_source(source: &str) -> bool {
    (1..=32).contains(&source.len())
        && source.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The subquery [`tagged_ids`] builds.
pub type TaggedIds = diesel::dsl::Select<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            diesel::dsl::Filter<record_tags::table, diesel::dsl::Eq<record_tags::org_id, String>>,
            diesel::dsl::Eq<record_tags::record_type, &'static str>,
        >,
        diesel::dsl::Eq<record_tags::tag, String>,
    >,
    record_tags::record_id,
>;

/// The ids of the organization's records of this type that carry `tag`, as a subquery for
/// `id.eq_any(...)`.
pub fn tagged_ids(scope: &Scope, record_type: &'static str, tag: &str) -> TaggedIds {
    let org_id = scope.org_id();
    record_tags::table
        .filter(record_tags::org_id.eq(org_id.to_string()))
        .filter(record_tags::record_type.eq(record_type))
        .filter(record_tags::tag.eq(tag.to_string()))
        .select(record_tags::record_id)
}

/// Replaces the record's tags.
pub fn set_tags(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    record_id: &str,
    tags: &[String],
) -> ApiResult<()> {
    diesel::delete(
        record_tags::table
            .filter(record_tags::org_id.eq(scope.org_id()))
            .filter(record_tags::record_type.eq(record_type))
            .filter(record_tags::record_id.eq(record_id)),
    )
    .execute(conn)?;
    if let Some(insert) = tag_rows(scope, record_type, record_id, tags) {
        Statement::new(insert).execute(conn)?;
    }
    Ok(())
}

/// The `INSERT` of a record's tags (none for none): `set_tags` runs it, a new record's write
/// sends it with the record's row.
pub fn tag_rows(scope: &Scope, record_type: &str, record_id: &str, tags: &[String]) -> Option<Vec<Piece>> {
    let text = Piece::text;
    let rows = tags.iter().map(|tag| vec![text(scope.org_id()), text(record_type), text(record_id), text(tag)]);
    crate::sql::insert_values("record_tags", &["org_id", "record_type", "record_id", "tag"], rows.collect())
}

/// Replaces the record's external ids: 409 when another record of the type holds one of them.
pub fn set_external_ids(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    record_id: &str,
    ids: &BTreeMap<String, String>,
) -> ApiResult<()> {
    diesel::delete(
        external_ids::table
            .filter(external_ids::org_id.eq(scope.org_id()))
            .filter(external_ids::record_type.eq(record_type))
            .filter(external_ids::record_id.eq(record_id)),
    )
    .execute(conn)?;
    if let Some(insert) = external_id_rows(conn, scope, record_type, record_id, ids)? {
        Statement::new(insert).execute(conn)?;
    }
    Ok(())
}

/// The `INSERT` of a record's external ids (none for none), after checking that no other
/// record of the type holds one of them (409): `set_external_ids` runs it, a new record's write
/// sends it with the record's row.
pub fn external_id_rows(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    record_id: &str,
    ids: &BTreeMap<String, String>,
) -> ApiResult<Option<Vec<Piece>>> {
    let mut rows = Vec::with_capacity(ids.len());
    for (source, external_id) in ids {
        if let Some(holder) = find_by_external_id(conn, scope, record_type, source, external_id)? {
            return Err(external_id_taken(record_type, &holder, source, external_id));
        }
        let text = Piece::text;
        rows.push(vec![text(scope.org_id()), text(record_type), text(source), text(external_id), text(record_id)]);
    }
    let columns = ["org_id", "record_type", "source", "external_id", "record_id"];
    Ok(crate::sql::insert_values("external_ids", &columns, rows))
}

/// The 409 for an external id another record of the type holds.
pub fn external_id_taken(record_type: &str, holder: &str, source: &str, external_id: &str) -> ApiError {
    ApiError::conflict(
        "external_id_taken",
        format!("{record_type} {holder} already has external id {source}:{external_id}."),
    )
}

/// The id of the record of this type holding `source:external_id`.
pub fn find_by_external_id(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    source: &str,
    external_id: &str,
) -> ApiResult<Option<String>> {
    let org_id = scope.org_id();
    Ok(external_ids::table
        .filter(external_ids::org_id.eq(org_id))
        .filter(external_ids::record_type.eq(record_type))
        .filter(external_ids::source.eq(source))
        .filter(external_ids::external_id.eq(external_id))
        .select(external_ids::record_id)
        .first(conn)
        .optional()?)
}

/// The external ids of `source` among `ids` that a record of this type holds, with its id.
pub fn holders_of_external_ids(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    source: &str,
    ids: &[&str],
) -> ApiResult<HashMap<String, String>> {
    let mut holders = HashMap::new();
    for chunk in ids.chunks(crate::db::rows_per_statement(1)) {
        let found: Vec<(String, String)> = external_ids::table
            .filter(external_ids::org_id.eq(scope.org_id()))
            .filter(external_ids::record_type.eq(record_type))
            .filter(external_ids::source.eq(source))
            .filter(external_ids::external_id.eq_any(chunk))
            .select((external_ids::external_id, external_ids::record_id))
            .load(conn)?;
        holders.extend(found);
    }
    Ok(holders)
}

/// Takes away the tags of the records `tags_of` and the external ids of `external_ids_of`
/// (before [`add_many`] gives them their new ones).
pub fn clear_many(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    tags_of: &[&str],
    external_ids_of: &[&str],
) -> ApiResult<()> {
    let org_id = scope.org_id();
    for chunk in tags_of.chunks(crate::db::rows_per_statement(1)) {
        diesel::delete(
            record_tags::table
                .filter(record_tags::org_id.eq(org_id))
                .filter(record_tags::record_type.eq(record_type))
                .filter(record_tags::record_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    for chunk in external_ids_of.chunks(crate::db::rows_per_statement(1)) {
        diesel::delete(
            external_ids::table
                .filter(external_ids::org_id.eq(org_id))
                .filter(external_ids::record_type.eq(record_type))
                .filter(external_ids::record_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Tags and external ids of many new records, a multi-row statement per table and chunk. The
/// caller has checked that no other record holds these external ids.
pub fn add_many(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    records: &[(&str, &[String], &BTreeMap<String, String>)],
) -> ApiResult<()> {
    let org_id = scope.org_id();
    let tags: Vec<_> = records
        .iter()
        .flat_map(|(id, tags, _)| {
            tags.iter().map(move |tag| {
                (
                    record_tags::org_id.eq(org_id),
                    record_tags::record_type.eq(record_type),
                    record_tags::record_id.eq(*id),
                    record_tags::tag.eq(tag.as_str()),
                )
            })
        })
        .collect();
    crate::insert_rows!(conn, record_tags::table, tags, 4)?;
    let ids: Vec<_> = records
        .iter()
        .flat_map(|(id, _, ids)| {
            ids.iter().map(move |(source, external_id)| {
                (
                    external_ids::org_id.eq(org_id),
                    external_ids::record_type.eq(record_type),
                    external_ids::source.eq(source.as_str()),
                    external_ids::external_id.eq(external_id.as_str()),
                    external_ids::record_id.eq(*id),
                )
            })
        })
        .collect();
    crate::insert_rows!(conn, external_ids::table, ids, 5)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let tags = normalize_tags(&[" vip ".into(), "vip".into(), "b2b".into()], "/tags").unwrap();
        assert_eq!(tags, vec!["vip", "b2b"]);
        let error = normalize_tags(&["ok".into(), "".into()], "/tags").unwrap_err();
        assert_eq!(error.errors[0].pointer, "/tags/1");
    }

    #[test]
    fn external_id_sources_are_slugs() {
        let mut ids = BTreeMap::new();
        ids.insert("shopify".to_string(), "123".to_string());
        assert!(check_external_ids(&ids, "/external_ids").is_ok());
        ids.insert("Bad Source".to_string(), "1".to_string());
        assert_eq!(
            check_external_ids(&ids, "/external_ids").unwrap_err().errors[0].pointer,
            "/external_ids/Bad Source"
        );
    }
}
