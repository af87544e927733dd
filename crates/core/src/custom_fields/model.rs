//! Definition rows, and the value index rows of records.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::http::{ListPlan, SortField, SortKind, Sorts};
use crate::schema::{custom_field_definitions as defs, custom_field_values as vals};
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "cf";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = defs)]
pub struct Definition {
    pub id: String,
    pub org_id: String,
    pub record_type: String,
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    pub field_type: String,
    pub required: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub pattern: Option<String>,
    pub options: String,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// What create and update write.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = defs, treat_none_as_null = true)]
pub struct DefinitionRules {
    pub label: String,
    pub description: Option<String>,
    pub required: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub pattern: Option<String>,
    pub options: String,
}

/// One indexed value of a record's field (a multi-select has one per option).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedValue {
    pub key: String,
    pub text: Option<String>,
    pub number: Option<f64>,
}

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Definition>> {
    let org_id = scope.org_id();
    Ok(defs::table
        .filter(defs::org_id.eq(org_id))
        .filter(defs::id.eq(id))
        .select(Definition::as_select())
        .first(conn)
        .optional()?)
}

pub fn key_taken(conn: &mut DbConnection, scope: &Scope, record_type: &str, key: &str) -> ApiResult<bool> {
    let org_id = scope.org_id();
    let count: i64 = defs::table
        .filter(defs::org_id.eq(org_id))
        .filter(defs::record_type.eq(record_type))
        .filter(defs::key.eq(key))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Every definition (archived too) of a record type, oldest first.
pub fn all_for(conn: &mut DbConnection, scope: &Scope, record_type: &str) -> ApiResult<Vec<Definition>> {
    let org_id = scope.org_id();
    Ok(defs::table
        .filter(defs::org_id.eq(org_id))
        .filter(defs::record_type.eq(record_type))
        .order((defs::created_at.asc(), defs::id.asc()))
        .select(Definition::as_select())
        .load(conn)?)
}

pub fn insert(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    record_type: &str,
    key: &str,
    field_type: &str,
    rules: &DefinitionRules,
) -> ApiResult<()> {
    let org_id = scope.org_id();
    let now = crate::time::now();
    diesel::insert_into(defs::table)
        .values((
            defs::id.eq(id),
            defs::org_id.eq(org_id),
            defs::record_type.eq(record_type),
            defs::key.eq(key),
            defs::field_type.eq(field_type),
            defs::label.eq(&rules.label),
            defs::description.eq(&rules.description),
            defs::required.eq(rules.required),
            defs::min_value.eq(rules.min_value),
            defs::max_value.eq(rules.max_value),
            defs::pattern.eq(&rules.pattern),
            defs::options.eq(&rules.options),
            defs::created_at.eq(now),
            defs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, rules: &DefinitionRules) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(defs::table.filter(defs::org_id.eq(org_id)).filter(defs::id.eq(id)))
        .set((rules, defs::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

pub fn set_archived(conn: &mut DbConnection, scope: &Scope, id: &str, at: Option<NaiveDateTime>) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(defs::table.filter(defs::org_id.eq(org_id)).filter(defs::id.eq(id)))
        .set((defs::archived_at.eq(at), defs::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

/// What definitions sort by: oldest first.
pub static SORTS: Sorts<Definition> = Sorts {
    default: "created_at",
    id_column: "custom_field_definitions.id",
    id: |d| &d.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "custom_field_definitions.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |d| Some(crate::time::format(&d.created_at)),
    }],
};

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: Option<&str>,
    include_archived: bool,
    plan: &ListPlan,
) -> ApiResult<Vec<Definition>> {
    let org_id = scope.org_id();
    let mut query = defs::table.filter(defs::org_id.eq(org_id)).select(Definition::as_select()).into_boxed();
    if let Some(record_type) = record_type {
        query = query.filter(defs::record_type.eq(record_type.to_string()));
    }
    if !include_archived {
        query = query.filter(defs::archived_at.is_null());
    }
    let (order, after) = SORTS.keyset::<defs::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Replaces the indexed values of a record.
pub fn set_values(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    record_id: &str,
    values: &[IndexedValue],
) -> ApiResult<()> {
    diesel::delete(
        vals::table
            .filter(vals::org_id.eq(scope.org_id()))
            .filter(vals::record_type.eq(record_type))
            .filter(vals::record_id.eq(record_id)),
    )
    .execute(conn)?;
    if let Some(insert) = value_rows(scope, record_type, record_id, values) {
        Statement::new(insert).execute(conn)?;
    }
    Ok(())
}

/// The `INSERT` of a record's indexed values (none for none): `set_values` runs it, a new
/// record's write sends it with the record's row.
pub fn value_rows(scope: &Scope, record_type: &str, record_id: &str, values: &[IndexedValue]) -> Option<Vec<Piece>> {
    let text = Piece::text;
    let rows = values.iter().map(|v| {
        let (text_value, number) = (Piece::OptionalText(v.text.clone()), Piece::OptionalDouble(v.number));
        vec![text(scope.org_id()), text(record_type), text(record_id), text(&v.key), text_value, number]
    });
    let columns = ["org_id", "record_type", "record_id", "field_key", "text_value", "number_value"];
    crate::sql::insert_values("custom_field_values", &columns, rows.collect())
}
