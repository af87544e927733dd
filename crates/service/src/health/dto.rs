//! Customer health as the API shows and takes it.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

/// How much each component counts (0–100 each; what has no data is left out and the rest
/// weighed again).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ticket_trend": 25, "csat": 25, "nps": 20, "engagement": 30, "overdue_invoices": 0}))]
pub struct Weights {
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub ticket_trend: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub csat: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub nps: i32,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub engagement: i32,
    /// Counts once accounting data (invoices) exists; until then it has no data.
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub overdue_invoices: i32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { ticket_trend: 25, csat: 25, nps: 20, engagement: 30, overdue_invoices: 0 }
    }
}

/// The organization's health settings.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"weights": {"ticket_trend": 25, "csat": 25, "nps": 20, "engagement": 30, "overdue_invoices": 0}, "version": 1}))]
pub struct HealthSettingsOut {
    pub weights: Weights,
    /// 0 until set (the defaults).
    pub version: i64,
}

/// `PUT /v1/health-settings`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"weights": {"ticket_trend": 30, "csat": 30, "nps": 10, "engagement": 30, "overdue_invoices": 0}}))]
pub struct HealthSettingsIn {
    #[validate(nested)]
    pub weights: Weights,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// 70 and more.
    Healthy,
    /// 40 to 69.
    AtRisk,
    /// Under 40.
    Critical,
    /// No component has data.
    Unknown,
}

impl Band {
    pub fn of(score: Option<i32>) -> Band {
        match score {
            Some(s) if s >= 70 => Band::Healthy,
            Some(s) if s >= 40 => Band::AtRisk,
            Some(_) => Band::Critical,
            None => Band::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Healthy => "healthy",
            Band::AtRisk => "at_risk",
            Band::Critical => "critical",
            Band::Unknown => "unknown",
        }
    }
}

/// One component of a health score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Component {
    /// `ticket_trend`, `csat`, `nps`, `engagement`, `overdue_invoices`.
    pub name: String,
    pub weight: i32,
    /// 0–100; null without data (then it does not count).
    pub score: Option<i32>,
    /// What it was computed from.
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// A company's health.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a", "score": 64, "band": "at_risk",
    "components": [
        {"name": "ticket_trend", "weight": 25, "score": 50, "detail": {"last_30_days": 6, "previous_30_days": 3}},
        {"name": "csat", "weight": 25, "score": 75, "detail": {"ratings": 4, "average": 4.0}},
        {"name": "nps", "weight": 20, "score": null, "detail": {"responses": 0}},
        {"name": "engagement", "weight": 30, "score": 68, "detail": {"last_activity_at": "2026-11-20T10:00:00Z", "days": 17}},
        {"name": "overdue_invoices", "weight": 0, "score": null, "detail": {"reason": "no accounting data"}}
    ],
    "computed_at": "2026-12-07T03:00:00Z"
}))]
pub struct HealthOut {
    pub company_id: String,
    pub score: Option<i32>,
    pub band: Band,
    pub components: Vec<Component>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: NaiveDateTime,
}
