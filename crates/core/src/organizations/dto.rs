//! The caller's organization as the API shows and takes it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::Patch;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "org_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Acme", "phone_region": "GB",
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1}))]
pub struct OrganizationOut {
    pub id: String,
    pub name: String,
    /// Where national phone numbers are read (ISO 3166-1 alpha-2): with `GB`, `020 7946 0958`
    /// is stored as `+442079460958`. Numbers written with a `+` are read as they are.
    pub phone_region: String,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

/// A merge patch of the organization's settings.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone_region": "GB"}))]
pub struct OrganizationPatch {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String, example = "GB")]
    pub phone_region: Patch<String>,
}
