//! Subscription-type and contact-subscription rows; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::schema::{contact_subscriptions as subs, subscription_types as types};
use crm_core::scope::Scope;
use diesel::prelude::*;

pub const RECORD_TYPE: &str = "subscription_type";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "subt";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = types)]
pub struct SubscriptionType {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: Option<String>,
    pub channel: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = types, treat_none_as_null = true)]
pub struct TypeFields {
    pub name: String,
    pub description: Option<String>,
    pub channel: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subs)]
pub struct Subscription {
    pub org_id: String,
    pub contact_id: String,
    pub subscription_type_id: String,
    pub status: String,
    pub source: Option<String>,
    pub updated_at: NaiveDateTime,
}

pub fn find_type(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<SubscriptionType>> {
    let org_id = scope.org_id();
    Ok(types::table
        .filter(types::org_id.eq(org_id))
        .filter(types::id.eq(id))
        .select(SubscriptionType::as_select())
        .first(conn)
        .optional()?)
}

/// The type with this name, other than `except`.
pub fn type_named(conn: &mut DbConnection, scope: &Scope, name: &str, except: &str) -> ApiResult<Option<String>> {
    let org_id = scope.org_id();
    Ok(types::table
        .filter(types::org_id.eq(org_id))
        .filter(types::name.eq(name))
        .filter(types::id.ne(except))
        .select(types::id)
        .first(conn)
        .optional()?)
}

pub fn insert_type(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &TypeFields) -> ApiResult<()> {
    let org_id = scope.org_id();
    let now = crm_core::time::now();
    diesel::insert_into(types::table)
        .values((
            types::id.eq(id),
            types::org_id.eq(org_id),
            types::name.eq(&fields.name),
            types::description.eq(&fields.description),
            types::channel.eq(&fields.channel),
            types::created_at.eq(now),
            types::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update_type(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &TypeFields) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(types::table.filter(types::org_id.eq(org_id)).filter(types::id.eq(id)))
        .set((fields, types::updated_at.eq(crm_core::time::now())))
        .execute(conn)?;
    Ok(())
}

/// Deletes a type and every contact's subscription to it.
pub fn delete_type(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::delete(subs::table.filter(subs::org_id.eq(org_id)).filter(subs::subscription_type_id.eq(id)))
        .execute(conn)?;
    diesel::delete(types::table.filter(types::org_id.eq(org_id)).filter(types::id.eq(id))).execute(conn)?;
    Ok(())
}

/// What subscription types sort by.
pub static SORTS: Sorts<SubscriptionType> = Sorts {
    default: "created_at",
    id_column: "subscription_types.id",
    id: |t| &t.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "subscription_types.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |t| Some(crm_core::time::format(&t.created_at)),
        },
        SortField {
            name: "name",
            column: "subscription_types.name",
            kind: SortKind::Text,
            nullable: false,
            value: |t| Some(t.name.clone()),
        },
    ],
};

pub fn list_types(
    conn: &mut DbConnection,
    scope: &Scope,
    channel: Option<&str>,
    plan: &ListPlan,
) -> ApiResult<Vec<SubscriptionType>> {
    let org_id = scope.org_id();
    let mut query = types::table.filter(types::org_id.eq(org_id)).select(SubscriptionType::as_select()).into_boxed();
    if let Some(channel) = channel {
        query = query.filter(types::channel.eq(channel.to_string()));
    }
    let (order, after) = SORTS.keyset::<types::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Every type of the organization, oldest first (at most a few hundred).
pub fn all_types(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Vec<SubscriptionType>> {
    let org_id = scope.org_id();
    Ok(types::table
        .filter(types::org_id.eq(org_id))
        .order((types::created_at.asc(), types::id.asc()))
        .select(SubscriptionType::as_select())
        .load(conn)?)
}

pub fn for_contact(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<Vec<Subscription>> {
    let org_id = scope.org_id();
    Ok(subs::table
        .filter(subs::org_id.eq(org_id))
        .filter(subs::contact_id.eq(contact_id))
        .select(Subscription::as_select())
        .load(conn)?)
}

pub fn find(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
    type_id: &str,
) -> ApiResult<Option<Subscription>> {
    let org_id = scope.org_id();
    Ok(subs::table.find((org_id, contact_id, type_id)).select(Subscription::as_select()).first(conn).optional()?)
}

pub fn save(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
    type_id: &str,
    status: &str,
    source: Option<&str>,
    exists: bool,
) -> ApiResult<()> {
    let org_id = scope.org_id();
    let now = crm_core::time::now();
    if exists {
        diesel::update(subs::table.find((org_id, contact_id, type_id)))
            .set((subs::status.eq(status), subs::source.eq(source), subs::updated_at.eq(now)))
            .execute(conn)?;
    } else {
        diesel::insert_into(subs::table)
            .values((
                subs::org_id.eq(org_id),
                subs::contact_id.eq(contact_id),
                subs::subscription_type_id.eq(type_id),
                subs::status.eq(status),
                subs::source.eq(source),
                subs::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_for_contact(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<usize> {
    let org_id = scope.org_id();
    Ok(diesel::delete(subs::table.filter(subs::org_id.eq(org_id)).filter(subs::contact_id.eq(contact_id)))
        .execute(conn)?)
}
