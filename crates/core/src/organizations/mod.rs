//! Organizations (tenants): created by `crm init` or at the first start.

pub mod dto;
pub mod routes;
pub mod service;
pub mod visibility;

use diesel::prelude::*;

use crate::api_keys::service::insert_key;
use crate::auth::secrets::Keys;
use crate::auth::{Actor, Principal, Role};
use crate::change::{self, Change};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::organizations;
use crate::scope::Scope;
use crate::users::dto::UserOut;
use crate::users::model::{self as users, NewUser};

/// The TypeID prefix of organization ids.
pub const ID_PREFIX: &str = "org";

/// What `crm init` and the first start create.
pub struct Initialized {
    pub org_id: String,
    pub user_id: String,
    pub api_key: String,
}

/// Serializes changes that check an organization-wide rule (such as "keep one active admin")
/// until the transaction ends. SQLite has one writer, so only PostgreSQL needs the row lock;
/// `NO KEY UPDATE` leaves the foreign-key checks of other writers' inserts (audit rows,
/// events) free, which a `FOR UPDATE` would turn into deadlocks.
pub fn lock(conn: &mut DbConnection, scope: &Scope) -> ApiResult<()> {
    let org_id = scope.org_id();
    service::ORGANIZATIONS.lock(conn, scope, org_id)
}

/// Where the organization reads national phone numbers (ISO 3166-1 alpha-2).
pub fn phone_region(conn: &mut DbConnection, scope: &Scope) -> ApiResult<String> {
    let org_id = scope.org_id();
    Ok(organizations::table
        .find(org_id)
        .select(organizations::phone_region)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| crate::normalize::DEFAULT_REGION.to_string()))
}

pub fn count(conn: &mut DbConnection) -> ApiResult<i64> {
    Ok(organizations::table.count().get_result(conn)?)
}

/// Creates an organization, its first admin, and an admin API key, in one transaction.
pub fn create_with_admin(conn: &mut DbConnection, keys: &Keys, name: &str, email: &str) -> ApiResult<Initialized> {
    let name = name.trim();
    let email = email.trim().to_lowercase();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid_field("/name", "length", "the organization name must be 1 to 200 characters"));
    }
    if !validator::ValidateEmail::validate_email(&email) {
        return Err(ApiError::invalid_field("/email", "invalid_email", "must be a valid e-mail address"));
    }
    conn.transaction(|conn| {
        let now = crate::time::now();
        let org_id = crate::id::new_id(ID_PREFIX);
        diesel::insert_into(organizations::table)
            .values((
                organizations::id.eq(&org_id),
                organizations::name.eq(name),
                organizations::created_at.eq(now),
                organizations::updated_at.eq(now),
            ))
            .execute(conn)?;
        let user_id = crate::id::new_id(crate::users::model::ID_PREFIX);
        users::insert(
            conn,
            &NewUser {
                id: &user_id,
                org_id: &org_id,
                email: &email,
                name: "Administrator",
                role: Role::Admin.as_str(),
                status: "active",
                password_hash: None,
                invitation_hash: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        let system = Actor {
            org_id: org_id.clone(),
            user_id: user_id.clone(),
            principal: Principal::System,
            role: Role::Admin,
            scopes: None,
            request_id: String::new(),
        };
        let user = UserOut::from(
            users::find(conn, &system.scope(), &user_id)?.ok_or_else(|| ApiError::internal("user vanished"))?,
        );
        let after = serde_json::to_value(&user)?;
        change::record(
            conn,
            &system,
            Change { resource: "user", id: &user_id, action: "created", before: None, after: Some(&after) },
        )?;
        let key = insert_key(conn, keys, &system, "Initial admin key", Role::Admin, &["*".to_string()], None)?;
        Ok(Initialized { org_id, user_id, api_key: key.key })
    })
}
