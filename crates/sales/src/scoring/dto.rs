//! Scoring rules and lead scores as the API shows and takes them.

use crm_contacts::activity::dto::ActivityKind;
use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The lead's fields: `filter`, in the filter language over the lead's fields.
    Field,
    /// Activities about the lead: at least `min_count` (of `activity_kind`, or any) in the last
    /// `window_days`.
    Activity,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Field => "field",
            RuleKind::Activity => "activity",
        }
    }
}

/// A new scoring rule.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Engaged in the last month", "kind": "activity", "window_days": 30, "min_count": 2, "points": 15, "decay_days": 14}))]
pub struct ScoringRuleIn {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub kind: RuleKind,
    /// For `field` rules: the filter language over the lead's fields and `custom.<key>`.
    #[schema(value_type = Option<Object>, example = json!({"field": "job_title", "op": "contains", "value": "chief"}))]
    pub filter: Option<Value>,
    /// For `activity` rules: only activities of this kind count. Default: any.
    pub activity_kind: Option<ActivityKind>,
    /// For `activity` rules: how many days back activities count, 1–3650.
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub window_days: Option<i32>,
    /// For `activity` rules: how many activities it takes. Default 1.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub min_count: Option<i32>,
    /// −1000 to 1000.
    #[validate(range(min = -1000, max = 1000))]
    #[schema(minimum = -1000, maximum = 1000)]
    pub points: i32,
    /// For `activity` rules: the points halve every `decay_days` since the latest activity
    /// that counted. Default: no decay.
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub decay_days: Option<i32>,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes to a scoring rule (its kind stays).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"points": 20}))]
pub struct ScoringRulePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub filter: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<ActivityKind>)]
    pub activity_kind: Patch<ActivityKind>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub window_days: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub min_count: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub points: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub decay_days: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub active: Patch<bool>,
}

/// A scoring rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "lsr_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Engaged in the last month", "kind": "activity", "filter": null,
    "activity_kind": null, "window_days": 30, "min_count": 2, "points": 15, "decay_days": 14, "active": true,
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct ScoringRuleOut {
    pub id: String,
    pub name: String,
    pub kind: RuleKind,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    pub activity_kind: Option<String>,
    pub window_days: Option<i32>,
    pub min_count: Option<i32>,
    pub points: i32,
    pub decay_days: Option<i32>,
    pub active: bool,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

/// A rule that fired for a lead, and the points it gave.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"rule_id": "lsr_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Engaged in the last month", "points": 11, "base_points": 15, "detail": "3 activities in 30 days, the latest 6 days ago; halved every 14 days"}))]
pub struct FiredRule {
    pub rule_id: String,
    pub name: String,
    /// After decay.
    pub points: i32,
    pub base_points: i32,
    pub detail: String,
}

/// A lead's score and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadScore {
    pub lead_id: String,
    /// The sum of the points of the rules that fire now.
    pub score: i32,
    pub rules: Vec<FiredRule>,
}

/// Paging for `GET /v1/lead-scoring-rules`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScoringRulesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default) or `-created_at`.
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
}

impl ScoringRulesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
