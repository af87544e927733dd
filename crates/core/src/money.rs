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

/// Whether `code` is written as an ISO 4217 code: three upper-case letters.
pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// 422 `invalid_currency` at `pointer` unless `code` is an ISO 4217 code.
pub fn check_currency(code: &str, pointer: &str) -> ApiResult<()> {
    if is_currency(code) {
        return Ok(());
    }
    Err(ApiError::invalid_field(pointer, "invalid_currency", "must be an ISO 4217 code like EUR"))
}

impl Money {
    /// Checks the currency code (three upper-case letters) and that the amount is not negative.
    pub fn check(&self, pointer: &str) -> ApiResult<()> {
        check_currency(&self.currency, &format!("{pointer}/currency"))?;
        if self.amount < 0 {
            return Err(ApiError::invalid_field(&format!("{pointer}/amount"), "negative", "must not be negative"));
        }
        Ok(())
    }
}

/// How many digits the currency's minor unit has: 2 for most (cents), 0 for the yen and a few
/// others, 3 for the Gulf dinars (ISO 4217).
pub fn minor_digits(currency: &str) -> u32 {
    const NONE: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
        "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    if NONE.contains(&currency) {
        0
    } else if THREE.contains(&currency) {
        3
    } else {
        2
    }
}

/// Rates are kept in billionths: a rate of 1.0832 is 1_083_200_000.
pub const RATE_SCALE: i64 = 1_000_000_000;

/// `amount` (minor units of `from`) in minor units of `to`, where one unit of `from` is worth
/// `rate` billionths of a unit of `to`; rounded half away from zero. `None` on overflow.
pub fn convert(amount: i64, from: &str, to: &str, rate: i64) -> Option<i64> {
    let scale_to = 10i128.pow(minor_digits(to));
    let scale_from = 10i128.pow(minor_digits(from));
    let n = i128::from(amount) * i128::from(rate) * scale_to;
    let d = scale_from * i128::from(RATE_SCALE);
    let (q, r) = (n / d, n % d);
    let rounded = if 2 * r.abs() >= d { q + n.signum() } else { q };
    i64::try_from(rounded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_between_minor_units_exactly() {
        // €12.50 at 1.0832 USD per EUR is $13.54.
        assert_eq!(convert(1250, "EUR", "USD", 1_083_200_000), Some(1354));
        // ¥1,000 at 0.0067 USD per JPY is $6.70.
        assert_eq!(convert(1000, "JPY", "USD", 6_700_000), Some(670));
        // $1.00 at 149.5 JPY per USD is ¥150 (149.5 rounds away from zero).
        assert_eq!(convert(100, "USD", "JPY", 149_500_000_000), Some(150));
        assert_eq!(convert(i64::MAX, "USD", "JPY", i64::MAX), None);
    }
}
