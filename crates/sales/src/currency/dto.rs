//! Currency rates as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// One unit of `currency` is worth `rate` units of the base currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"currency": "EUR", "rate": "1.0832"}))]
pub struct Rate {
    /// ISO 4217.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// A decimal number as a string (exact), more than 0, at most 9 decimals.
    #[schema(pattern = "^[0-9]+(\\.[0-9]{1,9})?$", example = "1.0832")]
    pub rate: String,
}

/// The base currency and the rates of the others (`PUT` replaces them all).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"base_currency": "USD", "rates": [{"currency": "EUR", "rate": "1.0832"}, {"currency": "JPY", "rate": "0.0067"}]}))]
pub struct CurrencyRatesIn {
    /// The organization's currency: forecasts and quota attainment are in it.
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub base_currency: String,
    #[validate(length(max = 200))]
    #[schema(max_items = 200)]
    pub rates: Vec<Rate>,
}

/// The organization's base currency and rates.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "base_currency": "USD", "rates": [{"currency": "EUR", "rate": "1.0832"}],
    "updated_at": "2026-12-07T09:12:00Z", "version": 2
}))]
pub struct CurrencyRatesOut {
    /// `null` until set: then amounts are not converted and forecasts take `USD`.
    pub base_currency: Option<String>,
    pub rates: Vec<Rate>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<chrono::NaiveDateTime>,
    pub version: i64,
}
