//! Duplicate reports and merges as the API shows and takes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::contact::dto::ContactOut;

/// `POST /v1/contacts/duplicates`, `POST /v1/companies/duplicates`: the whole organization, or
/// the given inputs (contacts or companies, in the shape of a create) against it.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"min_score": 0.8, "limit": 100}))]
pub struct DuplicatesRequest<T: Validate> {
    /// Records to check before creating them (nothing is written). Without inputs, the whole
    /// organization is scanned for groups of duplicates.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 1000)]
    pub inputs: Option<Vec<T>>,
    /// The lowest score reported, 0.5–1 (default 0.8).
    #[validate(range(min = 0.5, max = 1.0))]
    #[schema(minimum = 0.5, maximum = 1.0)]
    pub min_score: Option<f64>,
    /// Most groups returned, best first (1–1000, default 100).
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Two records judged the same.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicatePair {
    pub a: String,
    pub b: String,
    /// How sure, 0–1.
    pub score: f64,
    /// `same_email`, `similar_email`, `same_phone`, `same_domain`, `similar_name_same_company`,
    /// `similar_name_same_address`, `same_address`, `same_name`, `similar_name_same_city`,
    /// `same_name_same_address`.
    pub reasons: Vec<String>,
}

/// Records that are probably one: every pair scoring at least `min_score`, connected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateGroup {
    pub ids: Vec<String>,
    /// The best pair's score.
    pub score: f64,
    pub reasons: Vec<String>,
    pub pairs: Vec<DuplicatePair>,
}

/// An existing record an input probably is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateMatch {
    pub id: String,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// The matches of one input (by its index in `inputs`), best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InputMatches {
    pub input: usize,
    pub matches: Vec<DuplicateMatch>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"groups": [{"ids": ["con_01jbz3m3x7f6ks6q0vd1tq2n5a", "con_01jbz3m3x7f6ks6q0vd1tq2n5b"], "score": 0.9,
    "reasons": ["similar_email"], "pairs": [{"a": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "b": "con_01jbz3m3x7f6ks6q0vd1tq2n5b", "score": 0.9, "reasons": ["similar_email"]}]}],
    "inputs": [], "scanned": 2, "has_more": false}))]
pub struct DuplicatesOut {
    /// Without inputs: groups of duplicates, best first.
    pub groups: Vec<DuplicateGroup>,
    /// With inputs: each input's matches (inputs without any are left out).
    pub inputs: Vec<InputMatches>,
    /// Records compared.
    pub scanned: usize,
    /// Whether `limit` cut the groups short.
    pub has_more: bool,
}

/// `POST /v1/contacts/{id}/merge`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"merge_ids": ["con_01jbz3m3x7f6ks6q0vd1tq2n5b"], "dry_run": true, "prefer": {"job_title": "con_01jbz3m3x7f6ks6q0vd1tq2n5b"}}))]
pub struct MergeRequest {
    /// The contacts merged into this one (1–10). They end in the trash with `merged_into`.
    #[validate(length(min = 1, max = 10))]
    #[schema(min_items = 1, max_items = 10)]
    pub merge_ids: Vec<String>,
    /// Show the result without changing anything.
    #[serde(default)]
    pub dry_run: bool,
    /// Whose value wins, by field: `first_name`, `last_name`, `job_title`, `lifecycle_stage`,
    /// `lead_source`, `owner_id`, `email` (the primary), `phone` (the primary), `custom.<key>`.
    /// By default the survivor's value wins when it has one, then the first merged contact's;
    /// the lifecycle stage is the furthest along; e-mails, phones, addresses, tags, external ids
    /// and custom values are combined.
    #[serde(default)]
    pub prefer: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeOut {
    /// The surviving contact (as it would be, on a dry run).
    pub contact: ContactOut,
    pub merged_ids: Vec<String>,
    /// Activities re-linked to the survivor.
    pub moved_activities: usize,
    /// Company links moved to the survivor.
    pub moved_company_links: usize,
    pub dry_run: bool,
}

/// The body of the `301` a merged contact answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergedOut {
    /// The contact it was merged into (also in `Location`).
    pub merged_into: String,
}
