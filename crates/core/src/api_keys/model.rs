//! API key rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::http::{Cursor, ListPlan};
use crate::keyset;
use crate::schema::api_keys;

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

pub const SORTABLE: &[&str] = &["created_at", "name"];

pub fn find(conn: &mut DbConnection, org_id: &str, id: &str) -> ApiResult<Option<ApiKey>> {
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

pub fn update(conn: &mut DbConnection, org_id: &str, id: &str, changes: &ApiKeyChangeset) -> ApiResult<()> {
    diesel::update(api_keys::table.filter(api_keys::org_id.eq(org_id)).filter(api_keys::id.eq(id)))
        .set((changes, api_keys::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

/// `revoked`: `Some(true)` only revoked keys, `Some(false)` only live ones.
pub fn list(conn: &mut DbConnection, org_id: &str, revoked: Option<bool>, plan: &ListPlan) -> ApiResult<Vec<ApiKey>> {
    let mut query = api_keys::table.filter(api_keys::org_id.eq(org_id)).select(ApiKey::as_select()).into_boxed();
    match revoked {
        Some(true) => query = query.filter(api_keys::revoked_at.is_not_null()),
        Some(false) => query = query.filter(api_keys::revoked_at.is_null()),
        None => {}
    }
    let (sort, after) = (&plan.sort, plan.after.clone());
    let query = match sort.field {
        "name" => keyset!(query, api_keys::name, api_keys::id, sort, Cursor::text_key(after)),
        _ => {
            keyset!(query, api_keys::created_at, api_keys::id, sort, Cursor::time_key(after)?)
        }
    };
    Ok(query.limit(plan.limit + 1).load(conn)?)
}

pub fn sort_value(key: &ApiKey, field: &str) -> String {
    match field {
        "name" => key.name.clone(),
        _ => crate::time::format(&key.created_at),
    }
}
