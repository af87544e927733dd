//! Quotas as the API shows and takes them.

use crm_core::http::ListQuery;
use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A new quota.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5a", "period": "2026-Q4", "amount": {"amount": 25000000, "currency": "USD"}}))]
pub struct QuotaIn {
    pub user_id: String,
    /// A quarter (`2026-Q4`), a month (`2026-11`) or a year (`2026`); one quota per user and period.
    #[schema(pattern = "^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$", example = "2026-Q4")]
    pub period: String,
    pub amount: Money,
}

/// A quota's new amount.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": {"amount": 30000000, "currency": "USD"}}))]
pub struct QuotaPatch {
    pub amount: Money,
}

/// How far a quota is met: won deals of the user closing in the period, in the organization's
/// currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "closed_won": {"amount": 18750000, "currency": "USD"}, "quota": {"amount": 25000000, "currency": "USD"},
    "percent": 75.0, "unconverted_currencies": []
}))]
pub struct Attainment {
    pub closed_won: Money,
    /// The quota in the organization's currency.
    pub quota: Money,
    /// closed won ÷ quota × 100, to 2 places; `null` for a zero quota or one without a rate.
    pub percent: Option<f64>,
    /// Currencies of won deals left out for want of a rate.
    pub unconverted_currencies: Vec<String>,
}

/// A quota with its attainment.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "quota_01jbz3m3x7f6ks6q0vd1tq2n5a", "user_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5a", "period": "2026-Q4",
    "start": "2026-10-01", "end": "2026-12-31", "amount": {"amount": 25000000, "currency": "USD"},
    "attainment": {"closed_won": {"amount": 18750000, "currency": "USD"}, "quota": {"amount": 25000000, "currency": "USD"}, "percent": 75.0, "unconverted_currencies": []},
    "created_at": "2026-10-01T08:00:00Z", "updated_at": "2026-10-01T08:00:00Z", "version": 1
}))]
pub struct QuotaOut {
    pub id: String,
    pub user_id: String,
    pub period: String,
    #[schema(value_type = String, format = Date)]
    pub start: String,
    #[schema(value_type = String, format = Date)]
    pub end: String,
    pub amount: Money,
    pub attainment: Attainment,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

/// Filters and paging for `GET /v1/quotas`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuotasQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default) or `period`, `-` for descending.
    #[param(pattern = "^-?(created_at|period)$")]
    pub sort: Option<String>,
    pub user_id: Option<String>,
    #[param(example = "2026-Q4")]
    pub period: Option<String>,
}

impl QuotasQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
