//! Custom field definition use cases: each one transaction, with its audit row and event.

use super::dto::{DefinitionIn, DefinitionOut, DefinitionPatch, DefinitionsQuery, FieldOption, FieldType, RecordType};
use super::model::{self, DefinitionRules};
use crate::auth::{Action, Actor, Resource};
use crate::change::{self, Change};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{Page, page, trimmed};
use crate::scope::Scope;
use crate::state::AppState;
use crate::write::{Edit, Versioned};

const RECORD_TYPE: &str = "custom_field";
const MAX_OPTIONS: usize = 500;

/// Lower-case letters, digits and `_`, starting with a letter (safe inside SQL and JSON paths).
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks the rules of a definition of `field_type` and puts them in stored form.
fn rules(
    field_type: FieldType,
    label: String,
    description: Option<String>,
    required: bool,
    (min, max): (Option<f64>, Option<f64>),
    pattern: Option<String>,
    options: Option<Vec<FieldOption>>,
) -> ApiResult<DefinitionRules> {
    let mut errors = Vec::new();
    let label = label.trim().to_string();
    if label.is_empty() {
        errors.push(FieldError::new("/label", "required", "a field needs a label"));
    }
    if (min.is_some() || max.is_some()) && !field_type.has_bounds() {
        errors.push(FieldError::new(
            "/min",
            "not_applicable",
            format!("a {} field has no bounds", field_type.as_str()),
        ));
    }
    for (pointer, bound) in [("/min", min), ("/max", max)] {
        if bound.is_some_and(|b| !b.is_finite()) {
            errors.push(FieldError::new(pointer, "invalid_value", "must be a finite number"));
        }
    }
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        errors.push(FieldError::new("/max", "invalid_range", "max must not be below min"));
    }
    let pattern = trimmed(pattern);
    if let Some(p) = &pattern {
        if field_type != FieldType::Text {
            errors.push(FieldError::new("/pattern", "not_applicable", "only text fields take a pattern"));
        } else if let Err(detail) = super::values::compile_pattern(p) {
            errors.push(FieldError::new("/pattern", "invalid_pattern", detail));
        }
    }
    let options = options.unwrap_or_default();
    if field_type.has_options() {
        if options.is_empty() || options.len() > MAX_OPTIONS {
            errors.push(FieldError::new("/options", "required", format!("give 1 to {MAX_OPTIONS} options")));
        }
        for (i, option) in options.iter().enumerate() {
            // A patch's options are checked here: only a create's body is validated on the way in.
            if let Err(invalid) = validator::Validate::validate(option) {
                for mut error in crate::http::field_errors(&invalid) {
                    error.pointer = format!("/options/{i}{}", error.pointer);
                    errors.push(error);
                }
            }
            if options[..i].iter().any(|o| o.value == option.value) {
                errors.push(FieldError::new(format!("/options/{i}/value"), "duplicate", "option values are unique"));
            }
        }
    } else if !options.is_empty() {
        errors.push(FieldError::new(
            "/options",
            "not_applicable",
            format!("a {} field has no options", field_type.as_str()),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(DefinitionRules {
        label,
        description: trimmed(description),
        required,
        min_value: min,
        max_value: max,
        pattern,
        options: serde_json::to_string(&options)?,
    })
}

/// Custom field definitions as the write runner takes them.
const DEFINITIONS: Versioned<DefinitionOut> = Versioned {
    table: "custom_field_definitions",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |d| d.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<DefinitionOut> {
    model::find(conn, scope, id)?.map(DefinitionOut::from).ok_or_else(|| ApiError::not_found("custom field"))
}

fn audit(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    before: Option<&DefinitionOut>,
    after: &DefinitionOut,
) -> ApiResult<()> {
    let b = before.map(serde_json::to_value).transpose()?;
    let a = serde_json::to_value(after)?;
    change::record(
        conn,
        actor,
        Change { resource: RECORD_TYPE, id: &after.id, action, before: b.as_ref(), after: Some(&a) },
    )
}

pub async fn create(state: &AppState, actor: &Actor, input: DefinitionIn) -> ApiResult<DefinitionOut> {
    actor.require(Resource::CUSTOM_FIELDS, Action::Write)?;
    let key = input.key.trim().to_string();
    if !valid_key(&key) {
        return Err(ApiError::invalid_field(
            "/key",
            "invalid_key",
            "lower-case letters, digits and _, starting with a letter",
        ));
    }
    let rules = rules(
        input.field_type,
        input.label,
        input.description,
        input.required,
        (input.min, input.max),
        input.pattern,
        input.options,
    )?;
    let record_type = takes_custom_fields(state, &input.record_type)
        .ok_or_else(|| ApiError::invalid_field("/record_type", "unknown_record_type", known_record_types(state)))?;
    let field_type = input.field_type.as_str();
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            if model::key_taken(conn, &actor.scope(), record_type, &key)? {
                return Err(ApiError::conflict(
                    "duplicate_custom_field",
                    format!("A {record_type} field (perhaps deleted: restore it) already has the key {key}."),
                ));
            }
            let id = crate::id::new_id(model::ID_PREFIX);
            model::insert(conn, &actor.scope(), &id, record_type, &key, field_type, &rules)?;
            let created = load(conn, &actor.scope(), &id)?;
            audit(conn, &actor, "created", None, &created)?;
            Ok(created)
        })
        .await
}

/// The registered record type named `record_type`, if it takes custom fields.
fn takes_custom_fields(state: &AppState, record_type: &RecordType) -> Option<&'static str> {
    crate::registry::resources(state.domains)
        .find(|r| r.custom_fields && r.record_type == record_type.as_str())
        .map(|r| r.record_type)
}

fn known_record_types(state: &AppState) -> String {
    let names: Vec<_> =
        crate::registry::resources(state.domains).filter(|r| r.custom_fields).map(|r| r.record_type).collect();
    format!("record_type is one of {}", names.join(", "))
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<DefinitionOut> {
    actor.require(Resource::CUSTOM_FIELDS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: DefinitionsQuery) -> ApiResult<Page<DefinitionOut>> {
    actor.require(Resource::CUSTOM_FIELDS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let record_type = match &query.record_type {
        Some(r) => Some(
            takes_custom_fields(state, r)
                .ok_or_else(|| ApiError::bad_request("invalid_record_type", known_record_types(state)))?,
        ),
        None => None,
    };
    let include_archived = query.include_archived;
    let rows = state.db.read(move |conn| model::list(conn, &scope, record_type, include_archived, &for_query)).await?;
    Ok(page(rows, &plan, |d| model::SORTS.position(&plan, d), DefinitionOut::from))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: DefinitionPatch,
    if_match: Option<i64>,
) -> ApiResult<DefinitionOut> {
    actor.require(Resource::CUSTOM_FIELDS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            DEFINITIONS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                if patch.field_type.is_some_and(|t| t != before.field_type) {
                    return Err(ApiError::invalid_field(
                        "/type",
                        "immutable",
                        "a field's type cannot change: create a new field and copy the values",
                    ));
                }
                let (mut label, mut description, mut min, mut max, mut pattern, mut options) = (
                    Some(before.label.clone()),
                    before.description.clone(),
                    before.min,
                    before.max,
                    before.pattern.clone(),
                    Some(before.options.clone()),
                );
                let mut required = Some(before.required);
                patch.label.apply_to(&mut label);
                patch.description.apply_to(&mut description);
                patch.required.apply_to(&mut required);
                patch.min.apply_to(&mut min);
                patch.max.apply_to(&mut max);
                patch.pattern.apply_to(&mut pattern);
                patch.options.apply_to(&mut options);
                let rules = rules(
                    before.field_type,
                    label.unwrap_or_default(),
                    description,
                    required.unwrap_or(false),
                    (min, max),
                    pattern,
                    options,
                )?;
                model::update(conn, &actor.scope(), &id, &rules)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Archives (`true`) or restores (`false`) a field; stored values are left as they are.
pub async fn set_archived(state: &AppState, actor: &Actor, id: String, archived: bool) -> ApiResult<DefinitionOut> {
    actor.require(Resource::CUSTOM_FIELDS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let action = if archived { "deleted" } else { "restored" };
            DEFINITIONS.update(conn, &actor, &id, None, action, |conn, before| {
                if before.archived_at.is_some() == archived {
                    return Ok(Edit::Unchanged);
                }
                model::set_archived(conn, &actor.scope(), &id, archived.then(crate::time::now))?;
                Ok(Edit::Changed)
            })
        })
        .await
}
