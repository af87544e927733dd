//! Contact–company link rows.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::schema::{companies, contact_companies as links};
use diesel::prelude::*;

use crate::company::model::Company;
use crm_core::scope::Scope;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = links)]
pub struct Link {
    pub org_id: String,
    pub contact_id: String,
    pub company_id: String,
    pub role: Option<String>,
    pub is_primary: bool,
    pub created_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, scope: &Scope, contact_id: &str, company_id: &str) -> ApiResult<Option<Link>> {
    let org_id = scope.org_id();
    Ok(links::table.find((org_id, contact_id, company_id)).select(Link::as_select()).first(conn).optional()?)
}

/// Creates or replaces the link's role and primary flag.
pub fn upsert(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
    company_id: &str,
    role: Option<&str>,
    primary: bool,
) -> ApiResult<()> {
    let org_id = scope.org_id();
    let existing = find(conn, scope, contact_id, company_id)?;
    if existing.is_some() {
        diesel::update(links::table.find((org_id, contact_id, company_id)))
            .set((links::role.eq(role), links::is_primary.eq(primary)))
            .execute(conn)?;
    } else {
        diesel::insert_into(links::table)
            .values((
                links::org_id.eq(org_id),
                links::contact_id.eq(contact_id),
                links::company_id.eq(company_id),
                links::role.eq(role),
                links::is_primary.eq(primary),
                links::created_at.eq(crm_core::time::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Makes every other link of the contact non-primary.
pub fn clear_primary(conn: &mut DbConnection, scope: &Scope, contact_id: &str, except_company: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(
        links::table
            .filter(links::org_id.eq(org_id))
            .filter(links::contact_id.eq(contact_id))
            .filter(links::company_id.ne(except_company)),
    )
    .set(links::is_primary.eq(false))
    .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, contact_id: &str, company_id: &str) -> ApiResult<usize> {
    let org_id = scope.org_id();
    Ok(diesel::delete(links::table.find((org_id, contact_id, company_id))).execute(conn)?)
}

pub fn count_for_contact(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<i64> {
    let org_id = scope.org_id();
    Ok(links::table
        .filter(links::org_id.eq(org_id))
        .filter(links::contact_id.eq(contact_id))
        .count()
        .get_result(conn)?)
}

/// The contact's links to live companies, primary first.
pub fn for_contact(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<Vec<(Link, Company)>> {
    let org_id = scope.org_id();
    Ok(links::table
        .inner_join(companies::table.on(companies::org_id.eq(links::org_id).and(companies::id.eq(links::company_id))))
        .filter(links::org_id.eq(org_id))
        .filter(links::contact_id.eq(contact_id))
        .filter(companies::deleted_at.is_null())
        .order((links::is_primary.desc(), links::created_at.asc(), links::company_id.asc()))
        .select((Link::as_select(), Company::as_select()))
        .load(conn)?)
}
