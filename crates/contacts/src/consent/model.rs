//! Consent rows; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::schema::contact_consents as consents;
use crm_core::scope::Scope;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consents)]
pub struct Consent {
    pub org_id: String,
    pub contact_id: String,
    pub channel: String,
    pub status: String,
    pub lawful_basis: Option<String>,
    pub source: Option<String>,
    pub recorded_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// What a change sets.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = consents, treat_none_as_null = true)]
pub struct ConsentFields {
    pub status: String,
    pub lawful_basis: Option<String>,
    pub source: Option<String>,
    pub recorded_at: NaiveDateTime,
}

pub fn for_contact(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<Vec<Consent>> {
    let org_id = scope.org_id();
    Ok(consents::table
        .filter(consents::org_id.eq(org_id))
        .filter(consents::contact_id.eq(contact_id))
        .order(consents::channel.asc())
        .select(Consent::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, scope: &Scope, contact_id: &str, channel: &str) -> ApiResult<Option<Consent>> {
    let org_id = scope.org_id();
    Ok(consents::table.find((org_id, contact_id, channel)).select(Consent::as_select()).first(conn).optional()?)
}

/// Inserts the channel's row, or updates it and bumps its version.
pub fn save(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
    channel: &str,
    fields: &ConsentFields,
    exists: bool,
) -> ApiResult<()> {
    let org_id = scope.org_id();
    let now = crm_core::time::now();
    if exists {
        diesel::update(consents::table.find((org_id, contact_id, channel)))
            .set((fields, consents::updated_at.eq(now), consents::version.eq(consents::version + 1)))
            .execute(conn)?;
    } else {
        diesel::insert_into(consents::table)
            .values((
                consents::org_id.eq(org_id),
                consents::contact_id.eq(contact_id),
                consents::channel.eq(channel),
                consents::status.eq(&fields.status),
                consents::lawful_basis.eq(&fields.lawful_basis),
                consents::source.eq(&fields.source),
                consents::recorded_at.eq(fields.recorded_at),
                consents::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_for_contact(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<usize> {
    let org_id = scope.org_id();
    Ok(diesel::delete(consents::table.filter(consents::org_id.eq(org_id)).filter(consents::contact_id.eq(contact_id)))
        .execute(conn)?)
}
