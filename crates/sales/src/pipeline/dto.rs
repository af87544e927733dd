//! Pipelines as the API shows and takes them.

use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::{Pipeline, Stage};

/// What a stage means for its deals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Deals in it are being worked.
    Open,
    /// Deals in it are won (closed).
    Won,
    /// Deals in it are lost (closed, with a reason).
    Lost,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> StageKind {
        match s {
            "won" => StageKind::Won,
            "lost" => StageKind::Lost,
            _ => StageKind::Open,
        }
    }
}

/// A stage of a pipeline, in the order given. With an `id`, an existing stage of the pipeline
/// (kept, with its deals); without, a new stage.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Proposal made", "probability": 50, "kind": "open"}))]
pub struct StageIn {
    pub id: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Win probability in percent, 0–100. Defaults: 100 for a won stage, 0 for a lost one, 10
    /// for an open one.
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub probability: Option<i32>,
    /// Default `open`.
    pub kind: Option<StageKind>,
}

/// A new pipeline.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "New business",
    "stages": [
        {"name": "Qualified", "probability": 10}, {"name": "Demo", "probability": 30},
        {"name": "Proposal", "probability": 60}, {"name": "Negotiation", "probability": 80},
        {"name": "Won", "kind": "won"}, {"name": "Lost", "kind": "lost"}
    ]
}))]
pub struct PipelineIn {
    /// Unique in the organization.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Where it is listed; the first pipeline is where deals go when none is named. Default:
    /// after the last.
    #[validate(range(min = 0, max = 10000))]
    #[schema(minimum = 0, maximum = 10000)]
    pub position: Option<i32>,
    /// In order: at least one open, one won and one lost stage, at most 50, names unique.
    /// Default: Qualified (10%), Contact made (20%), Proposal made (50%), Negotiation (80%),
    /// Won, Lost.
    #[validate(length(min = 3, max = 50), nested)]
    #[schema(min_items = 3, max_items = 50)]
    pub stages: Option<Vec<StageIn>>,
}

/// Changes to a pipeline. `stages`, when given, is the whole new list in order: stages named
/// by `id` are kept (renamed, moved, re-weighted), stages without one are added, and stages
/// left out are removed, which a stage holding deals cannot be (409 `stage_has_deals`).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "New business (EMEA)"}))]
pub struct PipelinePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub position: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Vec<StageIn>)]
    pub stages: Patch<Vec<StageIn>>,
}

/// A stage as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Proposal made", "position": 2, "probability": 50, "kind": "open"}))]
pub struct StageOut {
    pub id: String,
    pub name: String,
    /// 0 for the first stage.
    pub position: i32,
    pub probability: i32,
    pub kind: StageKind,
}

impl From<Stage> for StageOut {
    fn from(s: Stage) -> Self {
        StageOut {
            id: s.id,
            name: s.name,
            position: s.position,
            probability: s.probability,
            kind: StageKind::parse(&s.kind),
        }
    }
}

/// A pipeline with its stages in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "pipe_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "New business", "position": 0,
    "stages": [
        {"id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5b", "name": "Qualified", "position": 0, "probability": 10, "kind": "open"},
        {"id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5c", "name": "Won", "position": 1, "probability": 100, "kind": "won"},
        {"id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5d", "name": "Lost", "position": 2, "probability": 0, "kind": "lost"}
    ],
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct PipelineOut {
    pub id: String,
    pub name: String,
    pub position: i32,
    pub stages: Vec<StageOut>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl PipelineOut {
    pub fn of(p: Pipeline, stages: Vec<Stage>) -> Self {
        PipelineOut {
            id: p.id,
            name: p.name,
            position: p.position,
            stages: stages.into_iter().map(StageOut::from).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Paging for `GET /v1/pipelines`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PipelinesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `position` (default), `created_at` or `name`, `-` for descending.
    #[param(pattern = "^-?(position|created_at|name)$")]
    pub sort: Option<String>,
}

impl PipelinesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
