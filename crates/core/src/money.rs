//! Money: integer minor units and an ISO 4217 currency code. Never floats.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// An amount of money: `{"amount": 125000, "currency": "EUR"}` is €1,250.00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 125000, "currency": "EUR"}))]
pub struct Money {
    /// In the currency's minor unit (cents for EUR and USD).
    pub amount: i64,
    /// ISO 4217, upper case.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

impl Money {
    /// Checks the currency code (three upper-case letters) and that the amount is not negative.
    pub fn check(&self, pointer: &str) -> ApiResult<()> {
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ApiError::invalid_field(
                &format!("{pointer}/currency"),
                "invalid_currency",
                "must be an ISO 4217 code like EUR",
            ));
        }
        if self.amount < 0 {
            return Err(ApiError::invalid_field(&format!("{pointer}/amount"), "negative", "must not be negative"));
        }
        Ok(())
    }
}
