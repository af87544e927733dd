//! The forecast use case, and periods (`2026-Q4`, `2026-11`, `2026`).

use chrono::NaiveDate;
use crm_core::auth::{Action, Actor};
use crm_core::error::{ApiError, ApiResult};
use crm_core::state::AppState;

use super::dto::{Forecast, ForecastQuery, ForecastRow, GroupBy};
use super::model::{self, Grouping};
use crate::currency::service::Rates;
use crate::permissions;

/// The first and last day of a period: a quarter (`2026-Q4`), a month (`2026-11`) or a year.
pub fn period(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, rest) = text.split_once('-').map_or((text, None), |(y, r)| (y, Some(r)));
    let year: i32 = year.parse().ok().filter(|y| (1900..=9999).contains(y))?;
    let (first_month, months) = match rest {
        None => (1, 12),
        Some(quarter) if quarter.starts_with('Q') => {
            let q: u32 = quarter[1..].parse().ok().filter(|q| (1..=4).contains(q))?;
            (3 * q - 2, 3)
        }
        Some(month) if month.len() == 2 => (month.parse().ok().filter(|m| (1..=12).contains(m))?, 1),
        Some(_) => return None,
    };
    let start = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let next = start.checked_add_months(chrono::Months::new(months))?;
    Some((start, next.pred_opt()?))
}

/// 400 for a period that is not one.
pub fn parse_period(text: &str) -> ApiResult<(NaiveDate, NaiveDate)> {
    period(text).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_period",
            "period must be a quarter (2026-Q4), a month (2026-11) or a year (2026).",
        )
    })
}

pub async fn forecast(state: &AppState, actor: &Actor, query: ForecastQuery) -> ApiResult<Forecast> {
    actor.require(permissions::DEALS, Action::Read)?;
    let (start, end) = parse_period(&query.period)?;
    let grouping = match query.group_by {
        None => Grouping::None,
        Some(GroupBy::Owner) => Grouping::Owner,
        Some(GroupBy::Pipeline) => Grouping::Pipeline,
        Some(GroupBy::Team) => Grouping::Team,
    };
    let scope = actor.scope();
    let (pipeline_id, owner_id) = (query.pipeline_id.clone(), query.owner_id.clone());
    let (sums, all, rates) = state
        .db
        .read(move |conn| {
            let (from, to) = (start.to_string(), end.to_string());
            let (pipeline, owner) = (pipeline_id.as_deref(), owner_id.as_deref().filter(|o| !o.is_empty()));
            // Seeing every deal, the running totals say it; otherwise sum the deals in sight.
            let sums_of = match scope.sight(crate::deal::model::RECORD_TYPE, crate::deal::model::OWNER) {
                None => crate::deal::totals::forecast,
                Some(_) => model::sums,
            };
            let sums = sums_of(conn, &scope, grouping, &from, &to, pipeline, owner)?;
            // The totals count each deal once: grouped by team, a deal counts in each team of
            // its owner, and in none without one.
            let all = match grouping {
                Grouping::None => Vec::new(),
                _ => sums_of(conn, &scope, Grouping::None, &from, &to, pipeline, owner)?,
            };
            Ok((sums, all, Rates::load(conn, &scope)?))
        })
        .await?;
    let base = rates.base.clone();
    let mut unconverted: Vec<String> = Vec::new();
    let mut rows = tally(sums, &rates, &mut unconverted);
    let totals = match grouping {
        Grouping::None => rows.first().cloned(),
        _ => tally(all, &rates, &mut unconverted).pop(),
    }
    .unwrap_or_else(|| ForecastRow::empty(None, &base));
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    unconverted.sort();
    unconverted.dedup();
    Ok(Forecast {
        period: query.period,
        start: start.to_string(),
        end: end.to_string(),
        currency: base,
        group_by: query.group_by,
        rows,
        totals,
        unconverted_currencies: unconverted,
    })
}

/// The sums as rows in the base currency, one per key; currencies without a rate are named in
/// `unconverted` and left out.
fn tally(sums: Vec<model::Sums>, rates: &Rates, unconverted: &mut Vec<String>) -> Vec<ForecastRow> {
    let base = rates.base.clone();
    let mut rows: Vec<ForecastRow> = Vec::new();
    for sum in sums {
        let currency = sum.currency.clone().unwrap_or_else(|| base.clone());
        // Σ amount × percent, to minor units, half away from zero.
        let weighted = sum.weighted.unwrap_or(0);
        let weighted = (weighted + 50 * weighted.signum()) / 100;
        let converted = (rates.to_base(sum.amount.unwrap_or(0), &currency), rates.to_base(weighted, &currency));
        let (Some(amount), Some(weighted)) = converted else {
            unconverted.push(currency);
            continue;
        };
        let key = (!sum.key.is_empty()).then_some(sum.key.clone());
        let at = match rows.iter().position(|r| r.key == key) {
            Some(at) => at,
            None => {
                rows.push(ForecastRow::empty(key, &base));
                rows.len() - 1
            }
        };
        let row = &mut rows[at];
        row.deal_count += sum.count;
        match (sum.status.as_str(), sum.category.as_str()) {
            ("won", _) => row.closed_won.amount += amount,
            (_, "commit") => row.commit.amount += amount,
            (_, "best_case") => row.best_case.amount += amount,
            _ => row.pipeline.amount += amount,
        }
        if sum.status == "open" {
            row.weighted.amount += weighted;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_quarters_months_or_years() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(period("2026-Q4"), Some((day(2026, 10, 1), day(2026, 12, 31))));
        assert_eq!(period("2028-02"), Some((day(2028, 2, 1), day(2028, 2, 29))));
        assert_eq!(period("2026"), Some((day(2026, 1, 1), day(2026, 12, 31))));
        for bad in ["2026-Q5", "2026-13", "26", "2026-Q", "2026-1", "x"] {
            assert_eq!(period(bad), None, "{bad}");
        }
    }
}
