//! Forecasts as the API shows them.

use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What a forecast groups deals by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Owner,
    Pipeline,
    Team,
}

/// `GET /v1/forecasts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    /// A quarter (`2026-Q4`), a month (`2026-11`) or a year (`2026`): deals whose `close_date`
    /// falls in it.
    #[param(pattern = "^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$", example = "2026-Q4")]
    pub period: String,
    /// Default: one row for everything.
    pub group_by: Option<GroupBy>,
    pub pipeline_id: Option<String>,
    pub owner_id: Option<String>,
}

/// A group's figures, in the organization's currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "key": "user_01jbz3m3x7f6ks6q0vd1tq2n5a", "deal_count": 14,
    "closed_won": {"amount": 12500000, "currency": "USD"}, "commit": {"amount": 4000000, "currency": "USD"},
    "best_case": {"amount": 2500000, "currency": "USD"}, "pipeline": {"amount": 9000000, "currency": "USD"},
    "weighted": {"amount": 6150000, "currency": "USD"}
}))]
pub struct ForecastRow {
    /// The owner's, pipeline's or team's id; `null` for the totals and for deals without an owner.
    pub key: Option<String>,
    /// Won and open deals counted.
    pub deal_count: i64,
    /// Won deals.
    pub closed_won: Money,
    /// Open deals the owner commits to.
    pub commit: Money,
    /// Open deals in `best_case` (not including `commit`).
    pub best_case: Money,
    /// Open deals in `pipeline`.
    pub pipeline: Money,
    /// Open deals' amounts × their stage's probability.
    pub weighted: Money,
}

impl ForecastRow {
    pub fn empty(key: Option<String>, currency: &str) -> Self {
        let zero = || Money { amount: 0, currency: currency.to_string() };
        ForecastRow {
            key,
            deal_count: 0,
            closed_won: zero(),
            commit: zero(),
            best_case: zero(),
            pipeline: zero(),
            weighted: zero(),
        }
    }
}

/// A period's forecast.
#[derive(Debug, Serialize, ToSchema)]
pub struct Forecast {
    pub period: String,
    #[schema(value_type = String, format = Date)]
    pub start: String,
    #[schema(value_type = String, format = Date)]
    pub end: String,
    /// The organization's base currency (`/v1/currency-rates`).
    pub currency: String,
    pub group_by: Option<GroupBy>,
    pub rows: Vec<ForecastRow>,
    pub totals: ForecastRow,
    /// Currencies of deals left out for want of a rate.
    pub unconverted_currencies: Vec<String>,
}
