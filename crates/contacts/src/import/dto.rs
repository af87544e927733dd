//! Imports as the API shows and takes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// How rows meet existing contacts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Every row is a new contact.
    #[default]
    Create,
    /// Rows update the contact they match; rows that match none are skipped.
    Update,
    /// Update the match, or create when there is none.
    Upsert,
}

/// What to do with the file: the `options` part of the upload.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mapping": {"Email": "email", "First Name": "first_name", "Last Name": "last_name", "Tags": "tags",
                "Shopify ID": "external_id:shopify", "Company": "company.name"},
    "mode": "upsert", "match_on": "email", "dry_run": false
}))]
pub struct ImportOptions {
    /// CSV column name → target: `first_name`, `last_name`, `email` and `phone` (several columns
    /// may map to them; the first is primary), `job_title`, `lifecycle_stage`, `lead_source`,
    /// `owner_id`, `tags` (split on `;` or `,`), `external_id:<source>`, `address.line1`,
    /// `address.line2`, `address.city`, `address.region`, `address.postal_code`,
    /// `address.country`, `company.name`, `company.domain`, `id` (for `match_on: id`), or
    /// `ignore`. Unmapped columns are ignored. Without a mapping, columns named like a target
    /// (`Email`, `First Name`…) map to it.
    /// A column may feed several targets: `{"Customer ID": ["external_id:shop", "last_name"]}`.
    pub mapping: Option<BTreeMap<String, Targets>>,
    /// Default `create`.
    #[serde(default)]
    pub mode: ImportMode,
    /// `email` (the row's first e-mail), `external_id:<source>` or `id`; needed by update and upsert.
    #[schema(example = "email", pattern = r"^(email|id|external_id:[a-z0-9_-]{1,32})$")]
    pub match_on: Option<String>,
    /// Count what would happen and report failing rows, changing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Link rows to the company they name, creating it when no company has that domain or
    /// name. Default true; false links only to existing companies.
    #[serde(default = "yes")]
    pub create_companies: bool,
    /// `,` (default), `;`, `\t` or `|`.
    #[validate(length(equal = 1))]
    #[schema(min_length = 1, max_length = 1)]
    pub delimiter: Option<String>,
}

fn yes() -> bool {
    true
}

/// One target, or several for the same column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Targets {
    One(String),
    Many(Vec<String>),
}

impl Targets {
    pub fn list(&self) -> Vec<&str> {
        match self {
            Targets::One(t) => vec![t.as_str()],
            Targets::Many(ts) => ts.iter().map(String::as_str).collect(),
        }
    }
}

/// The multipart/form-data body of `POST /v1/imports`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The options as JSON (send this part before the file).
    pub options: ImportOptions,
    /// The CSV file: UTF-8, a header row first. No size or row limit.
    #[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
    pub file: Vec<u8>,
}

/// Row counts of an import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    /// Matched rows that changed nothing.
    pub unchanged: u64,
    /// Rows with nothing to do: blank, or (update mode) matching no contact.
    pub skipped: u64,
    /// Rows refused, with a reason each (`GET /v1/imports/{id}/failed-rows`).
    pub failed: u64,
}

/// The revert of an import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevertOut {
    /// The revert job.
    pub job_id: String,
    /// `pending`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// Created contacts deleted and updated contacts restored so far.
    pub reverted: u64,
    /// Rows whose contact was already gone.
    pub skipped: u64,
    pub failed: u64,
}

/// An import job.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "job_01jbz3m3x7f6ks6q0vd1tq2n5a", "status": "succeeded", "filename": "leads.csv", "mode": "upsert",
    "match_on": "email", "dry_run": false, "rows_total": 1200, "rows_processed": 1200, "percent": 100.0,
    "counts": {"created": 1100, "updated": 80, "unchanged": 5, "skipped": 0, "failed": 15},
    "error": null, "revert": null, "created_at": "2026-11-22T19:44:06Z", "started_at": "2026-11-22T19:44:06Z",
    "finished_at": "2026-11-22T19:44:09Z"
}))]
pub struct ImportOut {
    /// The job id.
    pub id: String,
    /// `pending`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub filename: String,
    pub mode: ImportMode,
    pub match_on: Option<String>,
    pub dry_run: bool,
    /// Data rows in the file (the header excluded); null until the worker has counted them.
    pub rows_total: Option<u64>,
    pub rows_processed: u64,
    /// 0–100.
    pub percent: f64,
    pub counts: ImportCounts,
    /// Why the import failed, when it did.
    pub error: Option<String>,
    /// The revert, once asked for.
    pub revert: Option<RevertOut>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<chrono::NaiveDateTime>,
}

/// Paging for `GET /v1/imports` (newest first by default).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` or `-created_at` (default).
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
}
