//! Exports as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// What to export: the contacts matching a filter (all when none), and the columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "filter": {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
    "columns": ["id", "first_name", "last_name", "email", "tags", "external_id:shopify"]
}))]
pub struct ExportIn {
    /// The filter language of `POST /v1/contacts/search`.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
    /// Free text, as in search.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub query: Option<String>,
    /// Columns in order: `id`, `first_name`, `last_name`, `email` (primary), `emails` (all,
    /// `;`-separated), `phone`, `phones`, `job_title`, `lifecycle_stage`, `lead_source`,
    /// `owner_id`, `tags`, `address.line1` … `address.country` (first address),
    /// `external_id:<source>`, `created_at`, `updated_at`, `version`. Default: id, names,
    /// e-mail, phone, job title, stage, source, owner, tags and times.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_items = 1, max_items = 100)]
    pub columns: Option<Vec<String>>,
}

/// An export job.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "job_01jbz3m3x7f6ks6q0vd1tq2n5a", "status": "succeeded", "columns": ["id", "email"],
    "rows_written": 1200, "size_bytes": 48211, "download_url": "/v1/exports/job_01jbz3m3x7f6ks6q0vd1tq2n5a/download",
    "error": null, "created_at": "2026-11-22T19:44:06Z", "finished_at": "2026-11-22T19:44:07Z"
}))]
pub struct ExportOut {
    pub id: String,
    /// `pending`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub columns: Vec<String>,
    pub rows_written: u64,
    /// The CSV's size once written.
    pub size_bytes: Option<i64>,
    /// Where to download the CSV, once the export succeeded.
    pub download_url: Option<String>,
    pub error: Option<String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<chrono::NaiveDateTime>,
}

/// Saved with the job while it runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportProgress {
    pub rows_written: u64,
    pub file_id: Option<String>,
    pub size_bytes: Option<i64>,
}
