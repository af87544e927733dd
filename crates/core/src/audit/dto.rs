//! Audit entries as the API shows them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::model::AuditEntry;
use crate::http::ListQuery;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "aud_01jbz3m3x7f6ks6q0vd1tq2n5a", "actor_type": "user", "actor_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5b",
    "action": "updated", "resource_type": "user", "resource_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5c",
    "changes": {"role": {"before": "sales", "after": "manager"}}, "request_id": "req_01jbz3m3x7f6ks6q0vd1tq2n5d",
    "created_at": "2026-11-22T19:44:06Z"
}))]
pub struct AuditEntryOut {
    pub id: String,
    /// `user`, `api_key` or `system`.
    pub actor_type: String,
    pub actor_id: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    /// `{"field": {"before": …, "after": …}}` for each field that changed.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub request_id: Option<String>,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
}

impl From<AuditEntry> for AuditEntryOut {
    fn from(e: AuditEntry) -> Self {
        AuditEntryOut {
            changes: serde_json::from_str(&e.changes).unwrap_or(Value::Null),
            id: e.id,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            request_id: e.request_id,
            created_at: e.created_at,
        }
    }
}

/// Filters and paging for `GET /v1/audit-log`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` or `-created_at` (default: newest first).
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
    #[param(example = "user")]
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub actor_id: Option<String>,
    #[param(example = "updated")]
    pub action: Option<String>,
}

impl AuditQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
