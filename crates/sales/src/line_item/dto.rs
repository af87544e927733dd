//! Line items as the API shows and takes them.

use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::model::LineItem;

/// A line: a product (priced from the price book or its list price unless `unit_price` is
/// given) or free text with a `unit_price`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "quantity": 10, "discount_percent": 5, "tax_rate_percent": 20}))]
pub struct LineItemIn {
    pub product_id: Option<String>,
    /// Default: the product's name. Required without a product.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
    /// Up to 3 decimals, more than 0. Default 1.
    #[schema(exclusive_minimum = 0, example = 1.5)]
    pub quantity: Option<f64>,
    /// In the document's currency. Default: the price book's price, else the product's list
    /// price in that currency.
    pub unit_price: Option<Money>,
    /// 0–100, up to 2 decimals. Default 0.
    #[schema(minimum = 0, maximum = 100)]
    pub discount_percent: Option<f64>,
    /// 0–100, up to 2 decimals. Default 0.
    #[schema(minimum = 0, maximum = 100)]
    pub tax_rate_percent: Option<f64>,
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "position": 0, "product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "sku": "GTX-PRO", "description": "GTX Pro",
    "quantity": 10.0, "unit_price": {"amount": 482100, "currency": "USD"}, "discount_percent": 5.0, "tax_rate_percent": 20.0,
    "subtotal": {"amount": 4821000, "currency": "USD"}, "discount": {"amount": 241050, "currency": "USD"},
    "tax": {"amount": 915990, "currency": "USD"}, "total": {"amount": 5495940, "currency": "USD"}
}))]
pub struct LineItemOut {
    pub position: i32,
    pub product_id: Option<String>,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: f64,
    pub unit_price: Money,
    pub discount_percent: f64,
    pub tax_rate_percent: f64,
    /// `unit_price × quantity`.
    pub subtotal: Money,
    pub discount: Money,
    pub tax: Money,
    pub total: Money,
}

impl LineItemOut {
    pub fn of(l: LineItem, currency: &str) -> Self {
        let money = |amount| Money { amount, currency: currency.to_string() };
        LineItemOut {
            position: l.position,
            product_id: l.product_id,
            sku: l.sku,
            description: l.description,
            quantity: l.quantity_milli as f64 / 1000.0,
            unit_price: money(l.unit_price),
            discount_percent: f64::from(l.discount_bp) / 100.0,
            tax_rate_percent: f64::from(l.tax_bp) / 100.0,
            subtotal: money(l.subtotal),
            discount: money(l.discount),
            tax: money(l.tax),
            total: money(l.total),
        }
    }

    /// As an input again (the lines of an accepted quote become the order's).
    pub fn to_input(&self) -> LineItemIn {
        LineItemIn {
            product_id: self.product_id.clone(),
            description: Some(self.description.clone()),
            quantity: Some(self.quantity),
            unit_price: Some(self.unit_price.clone()),
            discount_percent: Some(self.discount_percent),
            tax_rate_percent: Some(self.tax_rate_percent),
        }
    }
}

/// A document's totals: the sums of its lines'.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "subtotal": {"amount": 4821000, "currency": "USD"}, "discount": {"amount": 241050, "currency": "USD"},
    "tax": {"amount": 915990, "currency": "USD"}, "total": {"amount": 5495940, "currency": "USD"}
}))]
pub struct DocumentTotals {
    pub subtotal: Money,
    pub discount: Money,
    pub tax: Money,
    pub total: Money,
}

impl DocumentTotals {
    pub fn of(lines: &[LineItemOut], currency: &str) -> Self {
        let sum =
            |f: fn(&LineItemOut) -> i64| Money { amount: lines.iter().map(f).sum(), currency: currency.to_string() };
        DocumentTotals {
            subtotal: sum(|l| l.subtotal.amount),
            discount: sum(|l| l.discount.amount),
            tax: sum(|l| l.tax.amount),
            total: sum(|l| l.total.amount),
        }
    }
}
