//! Price books as the API shows and takes them.

use crm_core::http::{ListQuery, Patch};
use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A product's price in a book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "unit_price": {"amount": 429900, "currency": "USD"}}))]
pub struct PriceEntry {
    pub product_id: String,
    pub unit_price: Money,
}

/// A new price book.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Partners 2027", "prices": [{"product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "unit_price": {"amount": 429900, "currency": "USD"}}]}))]
pub struct PriceBookIn {
    /// Unique in the organization.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Default true. Quotes cannot use an inactive book.
    pub active: Option<bool>,
    /// One price per product and currency.
    #[validate(length(max = 5000))]
    #[schema(max_items = 5000)]
    pub prices: Option<Vec<PriceEntry>>,
}

/// Changes to a price book; `prices` replaces its prices.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct PriceBookPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub active: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = Vec<PriceEntry>)]
    pub prices: Patch<Vec<PriceEntry>>,
}

/// A price book.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "pb_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Partners 2027", "description": null, "active": true,
    "prices": [{"product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "unit_price": {"amount": 429900, "currency": "USD"}}],
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct PriceBookOut {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub prices: Vec<PriceEntry>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

/// Paging for `GET /v1/price-books`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PriceBooksQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default) or `name`, `-` for descending.
    #[param(pattern = "^-?(created_at|name)$")]
    pub sort: Option<String>,
}

impl PriceBooksQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
