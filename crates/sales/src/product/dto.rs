//! Products as the API shows and takes them.

use crm_core::http::{ListQuery, Patch};
use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Product;

/// A new product.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "GTX-PRO", "name": "GTX Pro", "description": "Workstation, 2 GPUs", "prices": [{"amount": 482100, "currency": "USD"}, {"amount": 449900, "currency": "EUR"}]}))]
pub struct ProductIn {
    /// Unique in the organization (compared as given).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub sku: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Default true. Inactive products cannot go on new lines.
    pub active: Option<bool>,
    /// List prices, one per currency.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub prices: Option<Vec<Money>>,
}

/// Changes to a product (JSON merge patch); `prices` replaces the list prices.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct ProductPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub sku: Patch<String>,
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
    #[schema(value_type = Option<Vec<Money>>)]
    pub prices: Patch<Vec<Money>>,
}

/// A product.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "sku": "GTX-PRO", "name": "GTX Pro", "description": "Workstation, 2 GPUs",
    "active": true, "prices": [{"amount": 449900, "currency": "EUR"}, {"amount": 482100, "currency": "USD"}],
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct ProductOut {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    /// List prices, by currency.
    pub prices: Vec<Money>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl ProductOut {
    pub fn of(p: Product, prices: Vec<Money>) -> Self {
        ProductOut {
            id: p.id,
            sku: p.sku,
            name: p.name,
            description: p.description,
            active: p.active,
            prices,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Filters and paging for `GET /v1/products`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default), `sku` or `name`, `-` for descending.
    #[param(pattern = "^-?(created_at|sku|name)$")]
    pub sort: Option<String>,
    pub active: Option<bool>,
    pub sku: Option<String>,
}

impl ProductsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
