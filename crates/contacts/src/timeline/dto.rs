//! Timeline items.

use crm_core::audit::dto::AuditEntryOut;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::activity::dto::ActivityOut;

/// One thing that happened to a record: an activity, or a change of its fields.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "change", "occurred_at": "2026-11-22T19:44:06Z",
    "change": {
        "id": "aud_01jbz3m3x7f6ks6q0vd1tq2n5a", "actor_type": "user", "actor_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5b",
        "action": "updated", "resource_type": "contact", "resource_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c",
        "changes": {"lifecycle_stage": {"before": "lead", "after": "customer"}}, "request_id": null,
        "created_at": "2026-11-22T19:44:06Z"
    }
}))]
pub struct TimelineItem {
    /// `activity` or `change`; more types may be added.
    #[serde(rename = "type")]
    pub item_type: String,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: chrono::NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<AuditEntryOut>,
}

/// Paging for timelines and histories (always newest first).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
