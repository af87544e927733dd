//! Service KPIs as the API shows them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    Week,
    Month,
}

/// `GET /v1/service/kpis`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpisQuery {
    /// The period's first day, `YYYY-MM-DD` (UTC). Default: 30 days before `to`.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-01")]
    pub from: Option<chrono::NaiveDate>,
    /// The day after the period, `YYYY-MM-DD`. Default: tomorrow. At most 366 days after `from`.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-01")]
    pub to: Option<chrono::NaiveDate>,
    /// How `volume` is bucketed. Default `day`.
    #[param(inline)]
    pub interval: Option<Interval>,
}

/// Durations in minutes over the tickets that have one.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Durations {
    /// How many tickets had one.
    pub count: i64,
    /// Calendar time.
    pub average_minutes: Option<f64>,
    pub median_minutes: Option<f64>,
    /// Business time (the organization's business hours).
    pub average_business_minutes: Option<f64>,
    pub median_business_minutes: Option<f64>,
}

/// Targets of an SLA, over the tickets whose target was decided (met or breached).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = TargetAttainment)]
pub struct Attainment {
    pub met: i64,
    pub breached: i64,
    /// `met / (met + breached)`; null when none was decided.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaAttainment {
    pub first_response: Attainment,
    pub resolution: Attainment,
}

/// Tickets created in one bucket of the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bucket {
    #[schema(value_type = String, format = Date)]
    pub start: String,
    pub tickets: i64,
}

/// The unsolved tickets now.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Backlog {
    pub total: i64,
    /// `new`, `open`, `pending`, `on_hold`.
    pub by_status: BTreeMap<String, i64>,
    /// By age since creation: `under_1_day`, `1_to_3_days`, `3_to_7_days`, `over_7_days`.
    pub by_age: BTreeMap<String, i64>,
}

/// Service KPIs of the tickets created in a period (the backlog: now), as far as the caller
/// sees tickets.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-11-01", "to": "2026-12-01", "tickets_created": 412,
    "by_channel": {"email": 301, "phone": 64, "api": 47},
    "volume": [{"start": "2026-11-01", "tickets": 12}, {"start": "2026-11-02", "tickets": 17}],
    "first_response": {"count": 398, "average_minutes": 94.2, "median_minutes": 41.0, "average_business_minutes": 38.5, "median_business_minutes": 22.0},
    "resolution": {"count": 355, "average_minutes": 1710.4, "median_minutes": 602.0, "average_business_minutes": 480.3, "median_business_minutes": 210.0},
    "solved": 355, "first_contact_resolution_rate": 0.46, "reopen_rate": 0.07,
    "sla": {"first_response": {"met": 370, "breached": 28, "rate": 0.93}, "resolution": {"met": 330, "breached": 25, "rate": 0.93}},
    "backlog": {"total": 57, "by_status": {"new": 9, "open": 30, "pending": 14, "on_hold": 4}, "by_age": {"under_1_day": 20, "1_to_3_days": 18, "3_to_7_days": 11, "over_7_days": 8}}
}))]
pub struct KpisOut {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub tickets_created: i64,
    pub by_channel: BTreeMap<String, i64>,
    pub volume: Vec<Bucket>,
    /// From creation to an agent's first public reply.
    pub first_response: Durations,
    /// From creation to solved (the last time it was solved).
    pub resolution: Durations,
    /// Of the period's tickets, how many are solved (or closed).
    pub solved: i64,
    /// Solved tickets answered with at most one agent reply and never reopened, of the solved.
    pub first_contact_resolution_rate: Option<f64>,
    /// Tickets ever reopened, of the solved (or reopened) ones.
    pub reopen_rate: Option<f64>,
    pub sla: SlaAttainment,
    pub backlog: Backlog,
}
