//! API keys as the API shows and takes them. The secret itself is shown once, at creation.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::ApiKey;
use crate::auth::Role;
use crate::http::{ListQuery, Patch};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "key_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "ERP sync", "prefix": "crm_sk_Vb3x",
    "user_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5b", "role": "admin", "scopes": ["platform:read"],
    "last_used_at": null, "expires_at": null, "revoked_at": null,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct ApiKeyOut {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// The user who created the key; it stops working if they are deactivated.
    pub user_id: String,
    pub role: Role,
    #[schema(value_type = Vec<crate::auth::permissions::ScopeName>)]
    pub scopes: Vec<String>,
    #[serde(with = "crate::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crate::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crate::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(k: ApiKey) -> Self {
        ApiKeyOut {
            role: Role::parse(&k.role).unwrap_or(Role::ReadOnly),
            scopes: serde_json::from_str(&k.scopes).unwrap_or_default(),
            id: k.id,
            name: k.name,
            prefix: k.key_prefix,
            user_id: k.user_id,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            created_at: k.created_at,
            updated_at: k.updated_at,
            version: k.version,
        }
    }
}

/// A new API key.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ERP sync", "scopes": ["platform:read", "events:read"]}))]
pub struct ApiKeyIn {
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `*`, or `<domain>:read` / `<domain>:write` (write implies read). Default `["*"]`.
    #[schema(value_type = Option<Vec<crate::auth::permissions::ScopeName>>)]
    pub scopes: Option<Vec<String>>,
    /// The key's role, at most the creator's own. Default: the creator's role.
    pub role: Option<Role>,
    /// When the key stops working (RFC 3339).
    #[serde(default, with = "crate::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<chrono::NaiveDateTime>,
}

/// A key just created: `key` is the secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "key_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "ERP sync", "prefix": "crm_sk_Vb3x",
    "user_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5b", "role": "admin", "scopes": ["platform:read", "events:read"],
    "last_used_at": null, "expires_at": null, "revoked_at": null,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1,
    "key": "crm_sk_Vb3xQ1s0c6mH8c1fV9oVhZb3o1pQ9f2nWl4zKx7yTt0"
}))]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub api_key: ApiKeyOut,
    /// The secret: send it as `Authorization: Bearer <key>`. It cannot be shown again.
    #[schema(example = "crm_sk_Vb3xQ1s0c6mH8c1fV9oVhZb3o1pQ9f2nWl4zKx7yTt0")]
    pub key: String,
}

/// Changes to a key (JSON merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ERP sync (prod)"}))]
pub struct ApiKeyPatch {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::auth::permissions::ScopeName>, min_items = 1)]
    pub scopes: Patch<Vec<String>>,
}

/// Filters and paging for `GET /v1/api-keys`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApiKeysQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` or `name`, `-` for descending. Default `created_at`.
    #[param(pattern = "^-?(created_at|name)$")]
    pub sort: Option<String>,
    /// `true`: only revoked keys; `false`: only live ones.
    pub revoked: Option<bool>,
}

impl ApiKeysQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
