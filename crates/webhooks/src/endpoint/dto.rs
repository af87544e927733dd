//! Webhook endpoints as the API shows and takes them.

use chrono::NaiveDateTime;
use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Endpoint;

/// A new webhook endpoint.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://hooks.example.com/crm", "description": "ERP sync",
    "event_types": ["contact.*", "company.created"], "enabled": true, "rate_limit_per_second": 50
}))]
pub struct EndpointIn {
    /// An `https://` (or `http://`) URL. Private, loopback and link-local addresses are refused
    /// unless the deployment allows them.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub url: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Event types (`contact.created`) and groups (`contact.*`) to deliver; empty or absent: all.
    #[validate(length(max = 100))]
    #[schema(max_items = 100, example = json!(["contact.*", "company.created"]))]
    pub event_types: Option<Vec<String>>,
    /// Default `true`.
    pub enabled: Option<bool>,
    /// At most this many deliveries a second to this endpoint (per process delivering); absent: no limit.
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000)]
    pub rate_limit_per_second: Option<i32>,
}

/// Changes to an endpoint (JSON merge patch). Enabling a disabled endpoint resumes delivery
/// with the events that happen from then on (and its pending deliveries).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false}))]
pub struct EndpointPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub event_types: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub enabled: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 10000)]
    pub rate_limit_per_second: Patch<i32>,
}

/// A webhook endpoint (its secret is shown only when created or rotated).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "whep_01jbz3m3x7f6ks6q0vd1tq2n5a", "url": "https://hooks.example.com/crm", "description": "ERP sync",
    "event_types": ["contact.*", "company.created"], "enabled": true, "disabled_reason": null,
    "rate_limit_per_second": 50, "previous_secret_expires_at": null, "failing_since": null,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct EndpointOut {
    pub id: String,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why delivery stopped: `gone` (the receiver answered 410), `failing` (every delivery
    /// failed for 5 days) or `manual`.
    pub disabled_reason: Option<String>,
    pub rate_limit_per_second: Option<i32>,
    /// Until when the secret replaced by the last rotation still signs deliveries too.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    /// Since when every delivery has failed (`null` while deliveries succeed).
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failing_since: Option<NaiveDateTime>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl From<Endpoint> for EndpointOut {
    fn from(e: Endpoint) -> Self {
        let now = crm_core::time::now();
        EndpointOut {
            event_types: e.types(),
            previous_secret_expires_at: e.previous_secret_until.filter(|until| *until > now),
            id: e.id,
            url: e.url,
            description: e.description,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            rate_limit_per_second: e.rate_limit_per_second,
            failing_since: e.failing_since,
            created_at: e.created_at,
            updated_at: e.updated_at,
            version: e.version,
        }
    }
}

/// An endpoint with its signing secret: the answer to creation and rotation, and the only
/// time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "whep_01jbz3m3x7f6ks6q0vd1tq2n5a", "url": "https://hooks.example.com/crm", "description": "ERP sync",
    "event_types": ["contact.*"], "enabled": true, "disabled_reason": null, "rate_limit_per_second": null,
    "previous_secret_expires_at": null, "failing_since": null,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1,
    "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
}))]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: EndpointOut,
    /// Verify deliveries with it (Standard Webhooks). It cannot be shown again.
    #[schema(example = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")]
    pub secret: String,
}

/// A secret rotation.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"overlap_seconds": 86400}))]
pub struct RotateIn {
    /// How long the old secret keeps signing too (both signatures are sent): 0 to 604800
    /// seconds, default 86400 (a day).
    #[validate(range(min = 0, max = 604_800))]
    #[schema(minimum = 0, maximum = 604_800)]
    pub overlap_seconds: Option<i64>,
}

/// Filters and paging for `GET /v1/webhook-endpoints`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EndpointsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default), `-` for descending.
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
    pub enabled: Option<bool>,
}

impl EndpointsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
