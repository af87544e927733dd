//! User rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::http::{ListPlan, SortField, SortKind, Sorts};
use crate::schema::users;
use crate::scope::Scope;

/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "user";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub password_hash: Option<String>,
    pub invitation_hash: Option<String>,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub status: &'a str,
    pub password_hash: Option<&'a str>,
    pub invitation_hash: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChangeset {
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub password_hash: Option<Option<String>>,
    pub invitation_hash: Option<Option<String>>,
    pub last_login_at: Option<Option<NaiveDateTime>>,
}

/// What users sort by.
pub static SORTS: Sorts<User> = Sorts {
    default: "created_at",
    id_column: "users.id",
    id: |u| &u.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "users.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |u| Some(crate::time::format(&u.created_at)),
        },
        SortField {
            name: "email",
            column: "users.email",
            kind: SortKind::Text,
            nullable: false,
            value: |u| Some(u.email.clone()),
        },
        SortField {
            name: "name",
            column: "users.name",
            kind: SortKind::Text,
            nullable: false,
            value: |u| Some(u.name.clone()),
        },
    ],
};

pub struct Filters {
    pub role: Option<String>,
    pub status: Option<String>,
    pub email: Option<String>,
}

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<User>> {
    let org_id = scope.org_id();
    Ok(users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::id.eq(id))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// A user with their organization's name, in one query (`GET /v1/me` is the hottest read).
/// Which of these ids are users of the organization, in one query.
pub fn existing(conn: &mut DbConnection, scope: &Scope, ids: &[String]) -> ApiResult<Vec<String>> {
    Ok(users::table
        .filter(users::org_id.eq(scope.org_id()))
        .filter(users::id.eq_any(ids))
        .select(users::id)
        .load(conn)?)
}

/// Which of these ids are active users of the organization, in one query.
pub fn active_among(conn: &mut DbConnection, scope: &Scope, ids: &[String]) -> ApiResult<Vec<String>> {
    Ok(users::table
        .filter(users::org_id.eq(scope.org_id()))
        .filter(users::id.eq_any(ids))
        .filter(users::status.eq("active"))
        .select(users::id)
        .load(conn)?)
}

pub fn find_with_organization(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<(User, String)>> {
    let org_id = scope.org_id();
    use crate::schema::organizations;
    Ok(users::table
        .inner_join(organizations::table)
        .filter(users::org_id.eq(org_id))
        .filter(users::id.eq(id))
        .select((User::as_select(), organizations::name))
        .first(conn)
        .optional()?)
}

/// 422 at `/owner_id` unless `owner_id` is an active user of the organization.
pub fn check_owner(conn: &mut DbConnection, scope: &Scope, owner_id: &str) -> ApiResult<()> {
    match find(conn, scope, owner_id)? {
        Some(user) if user.status == "active" => Ok(()),
        _ => Err(unknown_owner()),
    }
}

/// The 422 for an owner who is not an active user of the organization.
pub fn unknown_owner() -> crate::error::ApiError {
    crate::error::ApiError::invalid_field("/owner_id", "unknown_user", "must be an active user of the organization")
}

pub fn find_by_email(conn: &mut DbConnection, scope: &Scope, email: &str) -> ApiResult<Option<User>> {
    let org_id = scope.org_id();
    Ok(users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Active users with this e-mail in any organization (sign-in, before the organization is known).
pub fn find_for_sign_in(conn: &mut DbConnection, email: &str) -> ApiResult<Vec<User>> {
    Ok(users::table
        .filter(users::email.eq(email))
        .filter(users::status.eq("active"))
        .select(User::as_select())
        .load(conn)?)
}

pub fn find_by_invitation(conn: &mut DbConnection, hash: &str) -> ApiResult<Option<User>> {
    Ok(users::table
        .filter(users::invitation_hash.eq(hash))
        .filter(users::status.eq("invited"))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConnection, user: &NewUser<'_>) -> ApiResult<()> {
    diesel::insert_into(users::table).values(user).execute(conn)?;
    Ok(())
}

/// Applies the changes; the write runner bumps the version.
pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, changes: &UserChangeset) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(users::table.filter(users::org_id.eq(org_id)).filter(users::id.eq(id)))
        .set((changes, users::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

/// Records a sign-in without touching the version (it is not an edit).
pub fn touch_login(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::update(users::table.find(id)).set(users::last_login_at.eq(Some(crate::time::now()))).execute(conn)?;
    Ok(())
}

pub fn count_active_admins(conn: &mut DbConnection, scope: &Scope) -> ApiResult<i64> {
    let org_id = scope.org_id();
    Ok(users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::role.eq("admin"))
        .filter(users::status.eq("active"))
        .count()
        .get_result(conn)?)
}

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<User>> {
    let org_id = scope.org_id();
    let mut query = users::table.filter(users::org_id.eq(org_id)).select(User::as_select()).into_boxed();
    if let Some(role) = &filters.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    if let Some(status) = &filters.status {
        query = query.filter(users::status.eq(status.clone()));
    }
    if let Some(email) = &filters.email {
        query = query.filter(users::email.eq(email.clone()));
    }
    let (order, after) = SORTS.keyset::<users::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
