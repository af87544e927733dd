//! Exact line and document totals in integer minor units.
//!
//! A line's gross is `unit_price × quantity`, its discount `gross × discount`, its tax
//! `(gross − discount) × tax rate`, and its total `gross − discount + tax`. Each of the three
//! products is rounded once, half away from zero, to the currency's minor unit; a document's
//! totals are the sums of its lines' (so a document always adds up to its lines).
//! Quantities are kept in thousandths, percentages in hundredths of a percent (basis points).

/// One line's figures, in the document currency's minor unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineTotals {
    pub gross: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
}

/// `n / d` rounded half away from zero (`d > 0`).
fn round_div(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

/// Prices a line; `None` when a figure does not fit in 64 bits.
pub fn price(unit_price: i64, quantity_milli: i64, discount_bp: i64, tax_bp: i64) -> Option<LineTotals> {
    let gross = round_div(i128::from(unit_price) * i128::from(quantity_milli), 1000);
    let discount = round_div(gross * i128::from(discount_bp), 10_000);
    let tax = round_div((gross - discount) * i128::from(tax_bp), 10_000);
    let total = gross - discount + tax;
    Some(LineTotals {
        gross: i64::try_from(gross).ok()?,
        discount: i64::try_from(discount).ok()?,
        tax: i64::try_from(tax).ok()?,
        total: i64::try_from(total).ok()?,
    })
}

/// The sums of the lines' figures; `None` on overflow.
pub fn sum(lines: &[LineTotals]) -> Option<LineTotals> {
    lines.iter().try_fold(LineTotals::default(), |acc, l| {
        Some(LineTotals {
            gross: acc.gross.checked_add(l.gross)?,
            discount: acc.discount.checked_add(l.discount)?,
            tax: acc.tax.checked_add(l.tax)?,
            total: acc.total.checked_add(l.total)?,
        })
    })
}

/// A decimal number with at most `places` decimals as an integer of that many places
/// (`1.5` with 3 places is 1500); `None` when it has more decimals or does not fit.
pub fn fixed(value: f64, places: i32) -> Option<i64> {
    let scaled = value * 10f64.powi(places);
    let rounded = scaled.round();
    if !rounded.is_finite() || (scaled - rounded).abs() > 1e-6 || rounded.abs() > 9.0e15 {
        return None;
    }
    Some(rounded as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero_once_per_figure() {
        // 3 × 3.33 = 9.99; 10% off = 0.999 → 1.00; 19% tax on 8.99 = 1.7081 → 1.71.
        assert_eq!(price(333, 3000, 1000, 1900), Some(LineTotals { gross: 999, discount: 100, tax: 171, total: 1070 }));
        // 1.5 × 0.99 = 1.485 → 1.49.
        assert_eq!(price(99, 1500, 0, 0).map(|t| t.gross), Some(149));
        // 0.5 cent rounds up, 0.4999 down.
        assert_eq!(round_div(5, 10), 1);
        assert_eq!(round_div(4999, 10_000), 0);
        assert_eq!(round_div(-5, 10), -1);
    }

    #[test]
    fn a_document_adds_up_to_its_lines() {
        let lines = [price(1999, 2000, 500, 2000).unwrap(), price(5, 333, 0, 700).unwrap()];
        let total = sum(&lines).unwrap();
        assert_eq!(total.total, lines[0].total + lines[1].total);
        assert_eq!(total.gross - total.discount + total.tax, total.total);
    }

    #[test]
    fn overflow_is_refused_not_wrapped() {
        assert_eq!(price(i64::MAX, 2000, 0, 0), None);
        assert_eq!(sum(&[LineTotals { total: i64::MAX, ..Default::default() }; 2]), None);
    }

    #[test]
    fn decimals_are_exact_or_refused() {
        assert_eq!(fixed(1.5, 3), Some(1500));
        assert_eq!(fixed(0.001, 3), Some(1));
        assert_eq!(fixed(19.99, 2), Some(1999));
        assert_eq!(fixed(0.0001, 3), None);
        assert_eq!(fixed(f64::NAN, 2), None);
    }
}
