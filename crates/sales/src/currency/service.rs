//! Currency-rate use cases, and the conversion other use cases (forecasts, quotas) read.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::money::{RATE_SCALE, convert};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{CurrencyRatesIn, CurrencyRatesOut, Rate};
use super::model::{self, RECORD_TYPE};
use crate::permissions;

/// The base currency of an organization that set none.
pub const DEFAULT_BASE: &str = "USD";

/// `1.0832` as billionths (1_083_200_000); `None` unless a plain decimal, more than 0, with at
/// most 9 decimals.
fn parse_rate(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || fraction.len() > 9 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let padded = format!("{fraction:0<9}");
    let rate = whole.parse::<i64>().ok()? * RATE_SCALE + padded.parse::<i64>().ok()?;
    (rate > 0).then_some(rate)
}

fn format_rate(rate: i64) -> String {
    let (whole, fraction) = (rate / RATE_SCALE, rate % RATE_SCALE);
    let fraction = format!("{fraction:09}");
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") }
}

/// The organization's rates, as conversions to its base currency read them.
pub struct Rates {
    pub base: String,
    rates: Vec<(String, i64)>,
}

impl Rates {
    pub fn load(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Rates> {
        let base = model::find(conn, scope)?.map_or_else(|| DEFAULT_BASE.to_string(), |s| s.base_currency);
        Ok(Rates { base, rates: model::all(conn, scope)? })
    }

    /// The amount in the base currency; `None` when the currency has no rate.
    pub fn to_base(&self, amount: i64, currency: &str) -> Option<i64> {
        if currency == self.base {
            return Some(amount);
        }
        let (_, rate) = self.rates.iter().find(|(c, _)| c == currency)?;
        convert(amount, currency, &self.base, *rate)
    }
}

/// The settings as the write runner takes them (one row per organization, its id the
/// organization's).
const CURRENCY_RATES: Versioned<CurrencyRatesOut> = Versioned {
    table: "currency_settings",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load: |conn, scope, _| load(conn, scope),
    load_locked: None,
    version: |r| r.version,
};

fn load(conn: &mut DbConnection, scope: &Scope) -> ApiResult<CurrencyRatesOut> {
    let settings = model::find(conn, scope)?;
    let rates = model::all(conn, scope)?
        .into_iter()
        .map(|(currency, rate)| Rate { currency, rate: format_rate(rate) })
        .collect();
    Ok(CurrencyRatesOut {
        base_currency: settings.as_ref().map(|s| s.base_currency.clone()),
        rates,
        updated_at: settings.as_ref().map(|s| s.updated_at),
        version: settings.map_or(0, |s| s.version),
    })
}

pub async fn get(state: &AppState, actor: &Actor) -> ApiResult<CurrencyRatesOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope)).await
}

/// Sets the base currency and replaces the rates (`currency_rates.updated`).
pub async fn put(
    state: &AppState,
    actor: &Actor,
    input: CurrencyRatesIn,
    if_match: Option<i64>,
) -> ApiResult<CurrencyRatesOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let mut errors = Vec::new();
    if !crm_core::money::is_currency(&input.base_currency) {
        errors.push(FieldError::new("/base_currency", "invalid_currency", "must be an ISO 4217 code like USD"));
    }
    let mut rates: Vec<(String, i64)> = Vec::new();
    for (i, rate) in input.rates.iter().enumerate() {
        if !crm_core::money::is_currency(&rate.currency) {
            errors.push(FieldError::new(
                format!("/rates/{i}/currency"),
                "invalid_currency",
                "must be an ISO 4217 code",
            ));
        } else if rate.currency == input.base_currency || rates.iter().any(|(c, _)| *c == rate.currency) {
            errors.push(FieldError::new(
                format!("/rates/{i}/currency"),
                "duplicate",
                "one rate per currency, none for the base",
            ));
        }
        match parse_rate(&rate.rate) {
            Some(value) => rates.push((rate.currency.clone(), value)),
            None => errors.push(FieldError::new(
                format!("/rates/{i}/rate"),
                "invalid_rate",
                "a decimal more than 0 with at most 9 decimals, as a string",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    rates.sort();
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            // A first PUT makes the row (version 1) that `GET` showed as version 0.
            let if_match = match model::ensure(conn, &scope, &input.base_currency)? {
                true => if_match.map(|v| if v == 0 { 1 } else { v }),
                false => if_match,
            };
            let id = scope.org_id().to_string();
            CURRENCY_RATES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let current: Vec<(String, i64)> =
                    before.rates.iter().filter_map(|r| Some((r.currency.clone(), parse_rate(&r.rate)?))).collect();
                let fresh = before.version == 1 && current.is_empty();
                if before.base_currency.as_deref() == Some(input.base_currency.as_str()) && current == rates && !fresh {
                    return Ok(Edit::Unchanged);
                }
                model::set_base(conn, &scope, &input.base_currency)?;
                model::replace(conn, &scope, &rates)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_exact_decimals() {
        assert_eq!(parse_rate("1.0832"), Some(1_083_200_000));
        assert_eq!(parse_rate("149.5"), Some(149_500_000_000));
        assert_eq!(parse_rate("0.000000001"), Some(1));
        for bad in ["0", "0.0", "-1", "1e3", "1.0000000001", ".5", "1,5", ""] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
        assert_eq!(format_rate(1_083_200_000), "1.0832");
        assert_eq!(format_rate(2 * RATE_SCALE), "2");
    }
}
