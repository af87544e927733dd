//! Users as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::User;
use crate::auth::Role;
use crate::http::{ListQuery, Patch};

/// A user of the organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "user_01jbz3m3x7f6ks6q0vd1tq2n5a", "email": "ada@example.com", "name": "Ada Lovelace",
    "role": "sales", "status": "active", "last_login_at": null,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct UserOut {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// `active`, `invited` (has not set a password yet) or `deactivated`.
    pub status: String,
    #[serde(with = "crate::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            role: Role::parse(&u.role).unwrap_or(Role::ReadOnly),
            id: u.id,
            email: u.email,
            name: u.name,
            status: u.status,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
            updated_at: u.updated_at,
            version: u.version,
        }
    }
}

/// A new user. Without a password the user is invited: the response carries a one-time
/// `invitation_token` for `POST /v1/auth/accept-invitation`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com", "name": "Grace Hopper", "role": "sales"}))]
pub struct UserIn {
    #[validate(email(message = "must be a valid e-mail address"), length(max = 254))]
    #[schema(format = Email, max_length = 254, example = "grace@example.com")]
    pub email: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
    /// 12 to 128 characters.
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    #[schema(min_length = 12, max_length = 128)]
    pub password: Option<String>,
}

/// A user just created: an invited one comes with its one-time invitation token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "user_01jbz3m3x7f6ks6q0vd1tq2n5a", "email": "grace@example.com", "name": "Grace Hopper",
    "role": "sales", "status": "invited", "last_login_at": null,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1,
    "invitation_token": "crm_inv_Q2hhbmdlIG1lIGZvciBhIHJlYWwgdG9rZW4gcGxlYXNl"
}))]
pub struct UserCreated {
    #[serde(flatten)]
    pub user: UserOut,
    /// Shown once, for invited users only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_token: Option<String>,
}

/// Changes to a user (JSON merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "manager"}))]
pub struct UserPatch {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Role)]
    pub role: Patch<Role>,
}

/// Filters and paging for `GET /v1/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at`, `email` or `name`, `-` for descending. Default `created_at`.
    #[param(pattern = "^-?(created_at|email|name)$", example = "-created_at")]
    pub sort: Option<String>,
    pub role: Option<Role>,
    /// `active`, `invited` or `deactivated`.
    #[param(pattern = "^(active|invited|deactivated)$")]
    pub status: Option<String>,
    pub email: Option<String>,
}

impl UsersQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// Who is calling: the user, their organization, and the credential used.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "user": {
        "id": "user_01jbz3m3x7f6ks6q0vd1tq2n5a", "email": "admin@example.com", "name": "Administrator",
        "role": "admin", "status": "active", "last_login_at": null,
        "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
    },
    "organization": {"id": "org_01jbz3m3x7f6ks6q0vd1tq2n5b", "name": "Acme Inc."},
    "principal_type": "api_key", "principal_id": "key_01jbz3m3x7f6ks6q0vd1tq2n5c", "role": "admin", "scopes": ["*"]
}))]
pub struct MeOut {
    pub user: UserOut,
    pub organization: OrganizationOut,
    /// `user` (an access token) or `api_key`.
    #[schema(example = "api_key")]
    pub principal_type: String,
    #[schema(example = "key_01jbz3m3x7f6ks6q0vd1tq2n5a")]
    pub principal_id: String,
    pub role: Role,
    /// The API key's scopes; absent for access tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// The caller's organization, as `GET /v1/me` names it (`OrganizationOut` is the whole record).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MeOrganization)]
pub struct OrganizationOut {
    #[schema(example = "org_01jbz3m3x7f6ks6q0vd1tq2n5a")]
    pub id: String,
    #[schema(example = "Acme Inc.")]
    pub name: String,
}

/// A new password for the caller. `current_password` is required once a password is set.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "correct horse battery staple", "new_password": "a new and longer passphrase"}))]
pub struct PasswordChange {
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub current_password: Option<String>,
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}
