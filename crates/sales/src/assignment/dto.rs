//! Assignment rules as the API shows and takes them.

use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// How a rule picks the owner among its team's active members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Each member in turn (by user id), after the one the rule picked last.
    RoundRobin,
    /// The member with the fewest open leads (neither converted nor disqualified).
    LeastLoaded,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::RoundRobin => "round_robin",
            Method::LeastLoaded => "least_loaded",
        }
    }
}

/// A new assignment rule.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "EMEA territory", "method": "round_robin", "team_id": "team_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "filter": {"field": "country", "op": "in", "value": ["DE", "FR", "GB"]}, "priority": 10
}))]
pub struct AssignmentRuleIn {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub method: Method,
    /// The team whose members get the leads.
    pub team_id: String,
    /// The leads it takes: a filter of the filter language over the lead's fields (a territory:
    /// countries, industries, sizes). Default: every lead.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Rules are tried by priority, lowest first; the first that takes the lead assigns it.
    /// Default 100.
    #[validate(range(min = 0, max = 10000))]
    #[schema(minimum = 0, maximum = 10000)]
    pub priority: Option<i32>,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes to an assignment rule.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "least_loaded"}))]
pub struct AssignmentRulePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Method)]
    pub method: Patch<Method>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub team_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub filter: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub priority: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub active: Patch<bool>,
}

/// An assignment rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "asr_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "EMEA territory", "method": "round_robin",
    "team_id": "team_01jbz3m3x7f6ks6q0vd1tq2n5a", "filter": {"field": "country", "op": "in", "value": ["DE", "FR", "GB"]},
    "priority": 10, "active": true, "last_user_id": null,
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct AssignmentRuleOut {
    pub id: String,
    pub name: String,
    pub method: Method,
    pub team_id: String,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    pub priority: i32,
    pub active: bool,
    /// Who a round-robin rule gave its last lead to.
    pub last_user_id: Option<String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

/// Paging for `GET /v1/assignment-rules`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRulesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `priority` (default) or `created_at`, `-` for descending.
    #[param(pattern = "^-?(priority|created_at)$")]
    pub sort: Option<String>,
}

impl AssignmentRulesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
