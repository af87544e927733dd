//! API key rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::http::{ListPlan, SortField, SortKind, Sorts};
use crate::schema::api_keys;
use crate::scope::Scope;

/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "key";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub name: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub role: String,
    pub scopes: String,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub key_prefix: &'a str,
    pub key_hash: &'a str,
    pub role: &'a str,
    pub scopes: &'a str,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyChangeset {
    pub name: Option<String>,
    pub scopes: Option<String>,
    pub revoked_at: Option<Option<NaiveDateTime>>,
}

/// What API keys sort by.
pub static SORTS: Sorts<ApiKey> = Sorts {
    default: "created_at",
    id_column: "api_keys.id",
    id: |k| &k.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "api_keys.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |k| Some(crate::time::format(&k.created_at)),
        },
        SortField {
            name: "name",
            column: "api_keys.name",
            kind: SortKind::Text,
            nullable: false,
            value: |k| Some(k.name.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<ApiKey>> {
    let org_id = scope.org_id();
    Ok(api_keys::table
        .filter(api_keys::org_id.eq(org_id))
        .filter(api_keys::id.eq(id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConnection, key: &NewApiKey<'_>) -> ApiResult<()> {
    diesel::insert_into(api_keys::table).values(key).execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, changes: &ApiKeyChangeset) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(api_keys::table.filter(api_keys::org_id.eq(org_id)).filter(api_keys::id.eq(id)))
        .set((changes, api_keys::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

/// `revoked`: `Some(true)` only revoked keys, `Some(false)` only live ones.
pub fn list(conn: &mut DbConnection, scope: &Scope, revoked: Option<bool>, plan: &ListPlan) -> ApiResult<Vec<ApiKey>> {
    let org_id = scope.org_id();
    let mut query = api_keys::table.filter(api_keys::org_id.eq(org_id)).select(ApiKey::as_select()).into_boxed();
    match revoked {
        Some(true) => query = query.filter(api_keys::revoked_at.is_not_null()),
        Some(false) => query = query.filter(api_keys::revoked_at.is_null()),
        None => {}
    }
    let (order, after) = SORTS.keyset::<api_keys::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
