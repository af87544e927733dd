//! Pipeline use cases: each one transaction, with its audit row and event.

use std::collections::HashSet;

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::http::{Page, Patch, page};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{PipelineIn, PipelineOut, PipelinePatch, PipelinesQuery, StageIn, StageKind};
use super::model::{self, RECORD_TYPE, STAGE_ID_PREFIX, Stage};
use crate::permissions;

/// The stages of a pipeline created without any.
const DEFAULT_STAGES: &[(&str, i32, StageKind)] = &[
    ("Qualified", 10, StageKind::Open),
    ("Contact made", 20, StageKind::Open),
    ("Proposal made", 50, StageKind::Open),
    ("Negotiation", 80, StageKind::Open),
    ("Won", 100, StageKind::Won),
    ("Lost", 0, StageKind::Lost),
];

fn default_stages() -> Vec<StageIn> {
    DEFAULT_STAGES
        .iter()
        .map(|(name, probability, kind)| StageIn {
            id: None,
            name: name.to_string(),
            probability: Some(*probability),
            kind: Some(*kind),
        })
        .collect()
}

/// The stages as they will be stored, in order: given ids must be stages of this pipeline
/// (`existing`), names unique, and at least one stage of each kind.
fn planned_stages(pipeline_id: &str, given: Vec<StageIn>, existing: &[Stage]) -> ApiResult<Vec<Stage>> {
    let mut errors = Vec::new();
    if !(3..=50).contains(&given.len()) {
        errors.push(FieldError::new("/stages", "length", "a pipeline has 3 to 50 stages"));
    }
    let (mut names, mut ids) = (HashSet::new(), HashSet::new());
    let mut stages = Vec::with_capacity(given.len());
    for (i, stage) in given.into_iter().enumerate() {
        let pointer = format!("/stages/{i}");
        let name = stage.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new(format!("{pointer}/name"), "length", "a stage's name has 1 to 100 characters"));
        } else if !names.insert(name.to_lowercase()) {
            errors.push(FieldError::new(
                format!("{pointer}/name"),
                "duplicate",
                "stage names are unique in a pipeline",
            ));
        }
        let id = match stage.id {
            None => crm_core::id::new_id(STAGE_ID_PREFIX),
            Some(id) if !existing.iter().any(|s| s.id == id) => {
                errors.push(FieldError::new(format!("{pointer}/id"), "unknown_stage", "not a stage of this pipeline"));
                id
            }
            Some(id) => {
                if !ids.insert(id.clone()) {
                    errors.push(FieldError::new(format!("{pointer}/id"), "duplicate", "a stage is listed once"));
                }
                id
            }
        };
        let kind = stage.kind.unwrap_or(StageKind::Open);
        let probability = stage.probability.unwrap_or(match kind {
            StageKind::Open => 10,
            StageKind::Won => 100,
            StageKind::Lost => 0,
        });
        if !(0..=100).contains(&probability) {
            errors.push(FieldError::new(format!("{pointer}/probability"), "range", "a probability is 0 to 100"));
        }
        stages.push(Stage {
            id,
            pipeline_id: pipeline_id.to_string(),
            name,
            position: i as i32,
            probability,
            kind: kind.as_str().to_string(),
        });
    }
    for kind in [StageKind::Open, StageKind::Won, StageKind::Lost] {
        if !stages.iter().any(|s| s.kind == kind.as_str()) {
            errors.push(FieldError::new(
                "/stages",
                "missing_stage_kind",
                format!("a pipeline needs at least one {} stage", kind.as_str()),
            ));
        }
    }
    if errors.is_empty() { Ok(stages) } else { Err(ApiError::validation(errors)) }
}

/// The name of the pipeline an organization gets with its first deal.
const DEFAULT_NAME: &str = "Sales pipeline";

/// The organization's first pipeline; an organization without one gets the default pipeline
/// (with the default stages, recorded like any creation) with its first deal, so deals need
/// no set-up. Two first deals at once create it once: the second insert finds the name taken
/// (and, on PostgreSQL, waits for the first to commit).
pub(crate) fn default_pipeline(conn: &mut DbConnection, actor: &Actor) -> ApiResult<String> {
    let scope = actor.scope();
    if let Some(id) = model::default_id(conn, &scope)? {
        return Ok(id);
    }
    let id = crm_core::id::new_id(model::ID_PREFIX);
    if model::insert_unless_named(conn, &scope, &id, DEFAULT_NAME)? {
        for stage in planned_stages(&id, default_stages(), &[])? {
            model::insert_stage(conn, &scope, &stage)?;
        }
        PIPELINES.created(conn, actor, &id)?;
    }
    model::default_id(conn, &scope)?.ok_or_else(|| ApiError::not_found("pipeline"))
}

fn check_name(conn: &mut DbConnection, scope: &Scope, name: &str, id: &str) -> ApiResult<()> {
    match model::named(conn, scope, name, id)? {
        Some(holder) => {
            Err(ApiError::conflict("duplicate_pipeline", format!("Pipeline {holder} is already named {name}.")))
        }
        None => Ok(()),
    }
}

fn required_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid_field("/name", "required", "a pipeline needs a name"));
    }
    Ok(name.to_string())
}

/// Pipelines as the write runner takes them.
pub(crate) const PIPELINES: Versioned<PipelineOut> = Versioned {
    table: "pipelines",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |p| p.version,
};

pub(crate) fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<PipelineOut> {
    let pipeline = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("pipeline"))?;
    let stages = model::stages_of(conn, scope, &[id])?;
    Ok(PipelineOut::of(pipeline, stages))
}

pub async fn create(state: &AppState, actor: &Actor, input: PipelineIn) -> ApiResult<PipelineOut> {
    actor.require(permissions::PIPELINES, Action::Write)?;
    let name = required_name(&input.name)?;
    let id = crm_core::id::new_id(model::ID_PREFIX);
    let stages = planned_stages(&id, input.stages.unwrap_or_else(default_stages), &[])?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            check_name(conn, &scope, &name, &id)?;
            let position = match input.position {
                Some(position) => position,
                None => model::next_position(conn, &scope)?,
            };
            model::insert(conn, &scope, &id, &name, position)?;
            for stage in &stages {
                model::insert_stage(conn, &scope, stage)?;
            }
            PIPELINES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<PipelineOut> {
    actor.require(permissions::PIPELINES, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: PipelinesQuery) -> ApiResult<Page<PipelineOut>> {
    actor.require(permissions::PIPELINES, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let (rows, stages) = state
        .db
        .read(move |conn| {
            let rows = model::list(conn, &scope, &for_query)?;
            let ids: Vec<&str> = rows.iter().map(|p| p.id.as_str()).collect();
            let stages = model::stages_of(conn, &scope, &ids)?;
            Ok((rows, stages))
        })
        .await?;
    Ok(page(
        rows,
        &plan,
        |p| model::SORTS.position(&plan, p),
        |p| {
            let own = stages.iter().filter(|s| s.pipeline_id == p.id).cloned().collect();
            PipelineOut::of(p, own)
        },
    ))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: PipelinePatch,
    if_match: Option<i64>,
) -> ApiResult<PipelineOut> {
    actor.require(permissions::PIPELINES, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            PIPELINES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let scope = actor.scope();
                let name = match patch.name {
                    Patch::Absent => before.name.clone(),
                    Patch::Value(name) if name.chars().count() > 100 => {
                        return Err(ApiError::invalid_field("/name", "length", "at most 100 characters"));
                    }
                    Patch::Value(name) => required_name(&name)?,
                    Patch::Null => return Err(ApiError::invalid_field("/name", "required", "a pipeline needs a name")),
                };
                let position = match patch.position {
                    Patch::Absent => before.position,
                    Patch::Value(position) if (0..=10_000).contains(&position) => position,
                    Patch::Value(_) => return Err(ApiError::invalid_field("/position", "range", "0 to 10000")),
                    Patch::Null => {
                        return Err(ApiError::invalid_field("/position", "required", "a pipeline has a position"));
                    }
                };
                let existing = model::stages_of(conn, &scope, &[&id])?;
                let stages = match patch.stages {
                    Patch::Absent => None,
                    Patch::Null => return Err(ApiError::invalid_field("/stages", "required", "a pipeline has stages")),
                    Patch::Value(given) => Some(planned_stages(&id, given, &existing)?),
                };
                let stages_changed = stages.as_ref().is_some_and(|s| *s != existing);
                if name == before.name && position == before.position && !stages_changed {
                    return Ok(Edit::Unchanged);
                }
                if name != before.name {
                    check_name(conn, &scope, &name, &id)?;
                }
                model::update(conn, &scope, &id, &name, position)?;
                if let Some(stages) = stages.filter(|_| stages_changed) {
                    replace_stages(conn, &scope, &existing, &stages)?;
                }
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Writes the new list of stages over the old (the pipeline's row is locked, and deal writes
/// hold it shared, so no deal enters a stage while it goes).
fn replace_stages(conn: &mut DbConnection, scope: &Scope, existing: &[Stage], stages: &[Stage]) -> ApiResult<()> {
    let has_deals = |conn: &mut DbConnection, stage: &Stage| -> ApiResult<()> {
        if model::deals_in_stage(conn, scope, &stage.id)? > 0 {
            return Err(ApiError::conflict(
                "stage_has_deals",
                format!("Stage {} ({}) holds deals: move them to another stage first.", stage.id, stage.name),
            ));
        }
        Ok(())
    };
    for old in existing {
        match stages.iter().find(|s| s.id == old.id) {
            None => {
                has_deals(conn, old)?;
                model::delete_stage(conn, scope, &old.id)?;
            }
            Some(new) if new.kind != old.kind => has_deals(conn, old)?,
            Some(_) => {}
        }
    }
    for stage in stages {
        match existing.iter().find(|s| s.id == stage.id) {
            Some(old) if old == stage => {}
            Some(_) => model::update_stage(conn, scope, stage)?,
            None => model::insert_stage(conn, scope, stage)?,
        }
    }
    Ok(())
}

/// Deletes a pipeline and its stages; a pipeline that holds deals (live or trashed) cannot go.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::PIPELINES, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            PIPELINES.delete(conn, &actor, &id, if_match, |conn, _| {
                let scope = actor.scope();
                if model::deals_in_pipeline(conn, &scope, &id)? > 0 {
                    return Err(ApiError::conflict(
                        "pipeline_has_deals",
                        "Move the pipeline's deals (trashed ones too) to another pipeline first.",
                    ));
                }
                model::delete(conn, &scope, &id)
            })?;
            Ok(())
        })
        .await
}
