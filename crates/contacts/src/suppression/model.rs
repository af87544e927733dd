//! Suppression rows; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::schema::email_suppressions as suppressions;
use crm_core::scope::Scope;
use diesel::prelude::*;

pub const RECORD_TYPE: &str = "email_suppression";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suppressions)]
pub struct Suppression {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub reason: String,
    pub source: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Default)]
pub struct Filters {
    pub reason: Option<String>,
    pub email: Option<String>,
}

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Suppression>> {
    let org_id = scope.org_id();
    Ok(suppressions::table
        .filter(suppressions::org_id.eq(org_id))
        .filter(suppressions::id.eq(id))
        .select(Suppression::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_email(conn: &mut DbConnection, scope: &Scope, email: &str) -> ApiResult<Option<Suppression>> {
    let org_id = scope.org_id();
    Ok(suppressions::table
        .filter(suppressions::org_id.eq(org_id))
        .filter(suppressions::email.eq(email))
        .select(Suppression::as_select())
        .first(conn)
        .optional()?)
}

/// The entries for any of these (lower-cased) addresses.
pub fn for_emails(conn: &mut DbConnection, scope: &Scope, emails: &[String]) -> ApiResult<Vec<Suppression>> {
    let org_id = scope.org_id();
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    Ok(suppressions::table
        .filter(suppressions::org_id.eq(org_id))
        .filter(suppressions::email.eq_any(emails))
        .order(suppressions::created_at.asc())
        .select(Suppression::as_select())
        .load(conn)?)
}

pub fn insert(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    email: &str,
    reason: &str,
    source: Option<&str>,
) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::insert_into(suppressions::table)
        .values((
            suppressions::id.eq(id),
            suppressions::org_id.eq(org_id),
            suppressions::email.eq(email),
            suppressions::reason.eq(reason),
            suppressions::source.eq(source),
            suppressions::created_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<usize> {
    let org_id = scope.org_id();
    Ok(diesel::delete(suppressions::table.filter(suppressions::org_id.eq(org_id)).filter(suppressions::id.eq(id)))
        .execute(conn)?)
}

pub fn delete_for_emails(conn: &mut DbConnection, scope: &Scope, emails: &[String]) -> ApiResult<usize> {
    let org_id = scope.org_id();
    if emails.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(
        suppressions::table.filter(suppressions::org_id.eq(org_id)).filter(suppressions::email.eq_any(emails)),
    )
    .execute(conn)?)
}

/// What the suppression list sorts by: oldest first.
pub static SORTS: Sorts<Suppression> = Sorts {
    default: "created_at",
    id_column: "email_suppressions.id",
    id: |s| &s.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "email_suppressions.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |s| Some(crm_core::time::format(&s.created_at)),
    }],
};

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<Suppression>> {
    let org_id = scope.org_id();
    let mut query =
        suppressions::table.filter(suppressions::org_id.eq(org_id)).select(Suppression::as_select()).into_boxed();
    if let Some(reason) = &filters.reason {
        query = query.filter(suppressions::reason.eq(reason.clone()));
    }
    if let Some(email) = &filters.email {
        query = query.filter(suppressions::email.eq(email.clone()));
    }
    let (order, after) = SORTS.keyset::<suppressions::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
