//! Pricing a document's lines from its products, price book and currency.

use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::scope::Scope;

use super::dto::{DocumentTotals, LineItemIn, LineItemOut};
use super::model::{self, LineItem};
use super::pricing;

/// The most lines a document has.
pub const MAX_LINES: usize = 500;

/// The lines of the record `record_id` as stored, priced in `currency`: a product's price comes
/// from the line, else the price book, else the product's list price. Errors point at
/// `<pointer>/<i>/…`.
pub fn priced(
    conn: &mut DbConnection,
    scope: &Scope,
    record_id: &str,
    currency: &str,
    price_book_id: Option<&str>,
    lines: &[LineItemIn],
    pointer: &str,
) -> ApiResult<Vec<LineItem>> {
    if lines.len() > MAX_LINES {
        return Err(ApiError::invalid_field(pointer, "too_many", format!("at most {MAX_LINES} lines")));
    }
    let product_ids: Vec<&str> = lines.iter().filter_map(|l| l.product_id.as_deref()).collect();
    let products = crate::product::model::find_many(conn, scope, &product_ids)?;
    let list_prices = crate::product::model::prices_of(conn, scope, &product_ids)?;
    let mut errors = Vec::new();
    let mut priced = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let at = |field: &str| format!("{pointer}/{i}/{field}");
        let product = match &line.product_id {
            None => None,
            Some(id) => match products.iter().find(|p| p.id == *id) {
                Some(p) if p.active => Some(p),
                Some(_) => {
                    errors.push(FieldError::new(at("product_id"), "inactive_product", "the product is not active"));
                    continue;
                }
                None => {
                    errors.push(FieldError::new(
                        at("product_id"),
                        "unknown_product",
                        "must be a product of the organization",
                    ));
                    continue;
                }
            },
        };
        let description = match (line.description.as_deref().map(str::trim).filter(|d| !d.is_empty()), product) {
            (Some(d), _) => d.to_string(),
            (None, Some(p)) => p.name.clone(),
            (None, None) => {
                errors.push(FieldError::new(
                    at("description"),
                    "required",
                    "a line without a product needs a description",
                ));
                continue;
            }
        };
        let quantity = match pricing::fixed(line.quantity.unwrap_or(1.0), 3).filter(|q| *q > 0) {
            Some(q) => q,
            None => {
                errors.push(FieldError::new(
                    at("quantity"),
                    "invalid_quantity",
                    "more than 0, with at most 3 decimals",
                ));
                continue;
            }
        };
        let percent = |value: Option<f64>, field: &str, errors: &mut Vec<FieldError>| -> Option<i64> {
            match pricing::fixed(value.unwrap_or(0.0), 2).filter(|bp| (0..=10_000).contains(bp)) {
                Some(bp) => Some(bp),
                None => {
                    errors.push(FieldError::new(at(field), "invalid_percent", "0 to 100, with at most 2 decimals"));
                    None
                }
            }
        };
        let (Some(discount_bp), Some(tax_bp)) = (
            percent(line.discount_percent, "discount_percent", &mut errors),
            percent(line.tax_rate_percent, "tax_rate_percent", &mut errors),
        ) else {
            continue;
        };
        let unit_price = match (&line.unit_price, product) {
            (Some(price), _) => {
                if let Err(e) = price.check(&at("unit_price")) {
                    errors.extend(e.errors);
                    continue;
                }
                if price.currency != currency {
                    errors.push(FieldError::new(
                        at("unit_price/currency"),
                        "currency_mismatch",
                        format!("must be {currency}"),
                    ));
                    continue;
                }
                price.amount
            }
            (None, Some(p)) => {
                let from_book = match price_book_id {
                    Some(book) => crate::price_book::model::price(conn, scope, book, &p.id, currency)?,
                    None => None,
                };
                let listed = list_prices.iter().find(|(id, c, _)| *id == p.id && c == currency).map(|(_, _, a)| *a);
                match from_book.or(listed) {
                    Some(amount) => amount,
                    None => {
                        errors.push(FieldError::new(
                            at("unit_price"),
                            "no_price",
                            format!("the product has no price in {currency}"),
                        ));
                        continue;
                    }
                }
            }
            (None, None) => {
                errors.push(FieldError::new(
                    at("unit_price"),
                    "required",
                    "a line without a product needs a unit price",
                ));
                continue;
            }
        };
        let Some(totals) = pricing::price(unit_price, quantity, discount_bp, tax_bp) else {
            errors.push(FieldError::new(at("quantity"), "too_large", "the line's total is too large"));
            continue;
        };
        priced.push(LineItem {
            record_id: record_id.to_string(),
            position: i as i32,
            product_id: product.map(|p| p.id.clone()),
            sku: product.map(|p| p.sku.clone()),
            description,
            quantity_milli: quantity,
            unit_price,
            discount_bp: discount_bp as i32,
            tax_bp: tax_bp as i32,
            subtotal: totals.gross,
            discount: totals.discount,
            tax: totals.tax,
            total: totals.total,
        });
    }
    let sums: Vec<pricing::LineTotals> = priced
        .iter()
        .map(|l| pricing::LineTotals { gross: l.subtotal, discount: l.discount, tax: l.tax, total: l.total })
        .collect();
    if errors.is_empty() && pricing::sum(&sums).is_none() {
        errors.push(FieldError::new(pointer, "too_large", "the document's total is too large"));
    }
    if errors.is_empty() { Ok(priced) } else { Err(ApiError::validation(errors)) }
}

/// The stored lines of these records, shown in their currencies: (record id, lines, totals).
pub fn shown(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    records: &[(&str, &str)],
) -> ApiResult<Vec<(String, Vec<LineItemOut>, DocumentTotals)>> {
    let ids: Vec<&str> = records.iter().map(|(id, _)| *id).collect();
    let rows = model::of(conn, scope, record_type, &ids)?;
    Ok(records
        .iter()
        .map(|(id, currency)| {
            let lines: Vec<LineItemOut> =
                rows.iter().filter(|l| l.record_id == *id).map(|l| LineItemOut::of(l.clone(), currency)).collect();
            let totals = DocumentTotals::of(&lines, currency);
            (id.to_string(), lines, totals)
        })
        .collect())
}
