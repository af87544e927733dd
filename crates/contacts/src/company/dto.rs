//! Companies as the API shows and takes them.

use std::collections::BTreeMap;

use crm_core::http::{ListQuery, Patch};
use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Company;
use crate::common::Address;

/// A new company.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Acme Corporation", "domain": "acme.example", "industry": "Manufacturing",
    "employee_count": 250, "annual_revenue": {"amount": 1250000000, "currency": "USD"},
    "tags": ["enterprise"], "external_ids": {"erp": "A-100"}
}))]
pub struct CompanyIn {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The web domain; `https://www.Acme.example/about` is stored as `acme.example`. Unique per organization.
    #[validate(length(max = 253))]
    #[schema(max_length = 253)]
    pub domain: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub industry: Option<String>,
    /// Number of employees.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub employee_count: Option<i64>,
    pub annual_revenue: Option<Money>,
    #[validate(length(max = 10), nested)]
    #[schema(max_items = 10)]
    pub addresses: Option<Vec<Address>>,
    /// The parent company (no cycles).
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub external_ids: Option<BTreeMap<String, String>>,
    /// Values of the organization's custom fields, by key (see `/v1/custom-fields`).
    #[schema(value_type = Option<Object>, example = json!({"segment": "smb"}))]
    pub custom: Option<Map<String, Value>>,
}

/// Changes to a company (JSON merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"employee_count": 300, "parent_id": null}))]
pub struct CompanyPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub domain: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub industry: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub employee_count: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<Money>)]
    pub annual_revenue: Patch<Money>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Address>>)]
    pub addresses: Patch<Vec<Address>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub parent_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub owner_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub external_ids: Patch<BTreeMap<String, String>>,
    /// Merged key by key: a key set to `null` removes that value, keys not given are kept.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom: Patch<Map<String, Value>>,
}

/// A company.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Acme Corporation", "domain": "acme.example",
    "industry": "Manufacturing", "employee_count": 250, "annual_revenue": {"amount": 1250000000, "currency": "USD"},
    "addresses": [], "parent_id": null, "owner_id": null, "tags": ["enterprise"], "external_ids": {"erp": "A-100"}, "custom": {},
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct CompanyOut {
    pub id: String,
    pub name: String,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub annual_revenue: Option<Money>,
    pub addresses: Vec<Address>,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub tags: Vec<String>,
    pub external_ids: BTreeMap<String, String>,
    /// Values of the organization's custom fields, by key.
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl From<Company> for CompanyOut {
    fn from(c: Company) -> Self {
        let annual_revenue = match (c.annual_revenue_amount, c.annual_revenue_currency) {
            (Some(amount), Some(currency)) => Some(Money { amount, currency }),
            _ => None,
        };
        CompanyOut {
            id: c.id,
            name: c.name,
            domain: c.domain,
            industry: c.industry,
            employee_count: c.employee_count,
            annual_revenue,
            addresses: serde_json::from_str(&c.addresses).unwrap_or_default(),
            parent_id: c.parent_id,
            owner_id: c.owner_id,
            tags: serde_json::from_str(&c.tags).unwrap_or_default(),
            external_ids: serde_json::from_str(&c.external_ids).unwrap_or_default(),
            custom: crm_core::custom_fields::values::parse_stored(&c.custom),
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

impl From<CompanyOut> for CompanyIn {
    fn from(c: CompanyOut) -> Self {
        CompanyIn {
            name: c.name,
            domain: c.domain,
            industry: c.industry,
            employee_count: c.employee_count,
            annual_revenue: c.annual_revenue,
            addresses: Some(c.addresses),
            parent_id: c.parent_id,
            owner_id: c.owner_id,
            tags: Some(c.tags),
            external_ids: Some(c.external_ids),
            custom: Some(c.custom),
        }
    }
}

/// Filters and paging for `GET /v1/companies`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompaniesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at`, `updated_at` or `name`, `-` for descending. Default `created_at`.
    #[param(
        pattern = "^-?(created_at|updated_at|name|domain|industry|employee_count|annual_revenue_amount|owner_id|custom\\.[a-z][a-z0-9_]{0,62})$"
    )]
    pub sort: Option<String>,
    pub owner_id: Option<String>,
    /// Direct subsidiaries of this company.
    pub parent_id: Option<String>,
    /// Normalized like the stored domain.
    #[param(example = "acme.example")]
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub tag: Option<String>,
    /// A filter of the filter language as JSON (as in `POST …/search`), for any field and
    /// `custom.<key>`: `{"field": "job_title", "op": "contains", "value": "engineer"}`.
    pub filter: Option<String>,
}

impl CompaniesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
