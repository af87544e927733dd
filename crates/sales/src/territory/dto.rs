//! Territories as the API shows and takes them.

use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A new territory. A company belongs to the first active territory, by priority, whose every
/// criterion it meets; a territory without criteria takes every company.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "DACH mid-market", "countries": ["DE", "AT", "CH"], "industries": ["Manufacturing", "Retail"],
    "min_employees": 200, "max_employees": 2000, "priority": 10
}))]
pub struct TerritoryIn {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// ISO 3166-1 alpha-2 codes: a company with an address in one of them. Default: any.
    #[validate(length(max = 300))]
    #[schema(max_items = 300, example = json!(["DE", "AT"]))]
    pub countries: Option<Vec<String>>,
    /// An address's region (state, province, county), ignoring case. Default: any.
    #[validate(length(max = 300))]
    #[schema(max_items = 300)]
    pub regions: Option<Vec<String>>,
    /// The company's industry, ignoring case. Default: any.
    #[validate(length(max = 300))]
    #[schema(max_items = 300)]
    pub industries: Option<Vec<String>>,
    /// Size: at least this many employees (a company of unknown size does not match a bound).
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub min_employees: Option<i64>,
    /// Size: at most this many employees.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub max_employees: Option<i64>,
    /// The rep its companies and their open deals go to; none: the territory only groups them.
    pub owner_id: Option<String>,
    /// Lowest first. Default 100.
    #[validate(range(min = 0, max = 10000))]
    #[schema(minimum = 0, maximum = 10000)]
    pub priority: Option<i32>,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes to a territory (merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"owner_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5d"}))]
pub struct TerritoryPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub countries: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub regions: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub industries: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub min_employees: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub max_employees: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub owner_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub priority: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub active: Patch<bool>,
}

/// A territory.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "terr_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "DACH mid-market", "countries": ["DE", "AT", "CH"],
    "regions": [], "industries": ["manufacturing", "retail"], "min_employees": 200, "max_employees": 2000,
    "owner_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5c", "priority": 10, "active": true,
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct TerritoryOut {
    pub id: String,
    pub name: String,
    /// Upper-cased.
    pub countries: Vec<String>,
    /// Lower-cased.
    pub regions: Vec<String>,
    /// Lower-cased.
    pub industries: Vec<String>,
    pub min_employees: Option<i64>,
    pub max_employees: Option<i64>,
    pub owner_id: Option<String>,
    pub priority: i32,
    pub active: bool,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

/// A company aligned to a territory.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a", "owner_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5c",
    "assigned_at": "2026-12-07T10:00:00Z"
}))]
pub struct TerritoryCompany {
    pub company_id: String,
    /// The owner the territory gave the company then.
    pub owner_id: Option<String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub assigned_at: chrono::NaiveDateTime,
}

/// The alignment queued by `POST /v1/territories/align`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"job_id": "job_01jbz3m3x7f6ks6q0vd1tq2n5a"}))]
pub struct AlignmentQueued {
    pub job_id: String,
}

/// Paging for `GET /v1/territories`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TerritoriesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `priority` (default), `created_at` or `name`, `-` for descending.
    #[param(pattern = "^-?(priority|created_at|name)$")]
    pub sort: Option<String>,
}

impl TerritoriesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// Paging for `GET /v1/territories/{id}/companies`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TerritoryCompaniesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `company_id` (default) or `assigned_at`, `-` for descending.
    #[param(pattern = "^-?(company_id|assigned_at)$")]
    pub sort: Option<String>,
}

impl TerritoryCompaniesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
