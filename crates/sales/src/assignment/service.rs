//! Assignment use cases: the rules (each write one transaction with its audit row and event),
//! and the assignment of a lead by them.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{AssignmentRuleIn, AssignmentRuleOut, AssignmentRulePatch, AssignmentRulesQuery, Method};
use super::model::{self, RECORD_TYPE, Rule, RuleFields};
use crate::lead::dto::LeadOut;
use crate::permissions;

const RULES: Versioned<AssignmentRuleOut> = Versioned {
    table: "assignment_rules",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |r| r.version,
};

fn out(r: Rule) -> AssignmentRuleOut {
    AssignmentRuleOut {
        id: r.id,
        name: r.name,
        method: if r.method == "least_loaded" { Method::LeastLoaded } else { Method::RoundRobin },
        team_id: r.team_id,
        filter: r.filter.and_then(|f| serde_json::from_str(&f).ok()),
        priority: r.priority,
        active: r.active,
        last_user_id: r.last_user_id,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    }
}

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<AssignmentRuleOut> {
    model::find(conn, scope, id)?.map(out).ok_or_else(|| ApiError::not_found("assignment rule"))
}

/// A rule's fields, checked: its team exists, its filter compiles over the lead's fields.
fn checked(conn: &mut DbConnection, scope: &Scope, input: AssignmentRuleIn) -> ApiResult<RuleFields> {
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::invalid_field("/name", "required", "a rule needs a name"));
    }
    let team_id = input.team_id.trim().to_string();
    if crm_core::teams::model::find(conn, scope, &team_id)?.is_none() {
        return Err(ApiError::invalid_field("/team_id", "unknown_team", "must be a team of the organization"));
    }
    let filter = match &input.filter {
        Some(filter) => {
            crate::lead::service::filter_condition(conn, scope, filter)?;
            Some(serde_json::to_string(filter)?)
        }
        None => None,
    };
    Ok(RuleFields {
        name,
        method: input.method.as_str().to_string(),
        team_id,
        filter,
        priority: input.priority.unwrap_or(100),
        active: input.active.unwrap_or(true),
    })
}

/// Locks the organization's active rules in id order (a batch of leads takes them all before
/// its first assignment).
pub(crate) fn lock_turns(conn: &mut DbConnection, scope: &Scope) -> ApiResult<()> {
    let mut ids: Vec<String> = model::active(conn, scope)?.into_iter().map(|r| r.id).collect();
    ids.sort();
    for id in ids {
        RULES.lock(conn, scope, &id)?;
    }
    Ok(())
}

/// The owner the first rule that takes the lead picks, and that rule's id; `None` when no rule
/// takes it (or its team has no active member).
pub(crate) fn pick(conn: &mut DbConnection, scope: &Scope, lead_id: &str) -> ApiResult<Option<(String, String)>> {
    for rule in model::active(conn, scope)? {
        if let Some(filter) = rule.filter.as_deref().and_then(|f| serde_json::from_str(f).ok())
            && !crate::lead::service::matches(conn, scope, lead_id, &filter)?
        {
            continue;
        }
        let members = crm_core::teams::model::active_members(conn, scope, &rule.team_id)?;
        if members.is_empty() {
            continue;
        }
        // The rule's row is locked while it picks, so concurrent assignments go to members in
        // turn, or each sees the leads the one before gave.
        RULES.lock(conn, scope, &rule.id)?;
        let owner = if rule.method == "least_loaded" {
            let ids: Vec<&str> = members.iter().map(String::as_str).collect();
            crm_core::teams::model::least_loaded(&members, &model::open_leads(conn, scope, &ids)?)
        } else {
            let last = model::find(conn, scope, &rule.id)?.and_then(|r| r.last_user_id);
            let next = crm_core::teams::model::next_in_turn(&members, last.as_deref());
            if let Some(user) = &next {
                model::set_last_user(conn, scope, &rule.id, user)?;
            }
            next
        };
        if let Some(owner) = owner {
            return Ok(Some((owner, rule.id)));
        }
    }
    Ok(None)
}

/// Assigns a lead by the rules, now (`lead.assigned`); 409 when no rule takes it.
pub async fn assign(state: &AppState, actor: &Actor, lead_id: String, if_match: Option<i64>) -> ApiResult<LeadOut> {
    actor.require(permissions::LEADS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            crate::lead::service::assign_in(conn, &actor, &lead_id, if_match)?
                .ok_or_else(|| ApiError::conflict("no_rule_applies", "No active assignment rule takes this lead."))
        })
        .await
}

pub async fn create(state: &AppState, actor: &Actor, input: AssignmentRuleIn) -> ApiResult<AssignmentRuleOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let fields = checked(conn, &scope, input)?;
            let id = crm_core::id::new_id(model::ID_PREFIX);
            model::save(conn, &scope, &id, &fields, false)?;
            RULES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<AssignmentRuleOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: AssignmentRulesQuery) -> ApiResult<Page<AssignmentRuleOut>> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &for_query)).await?;
    Ok(page(rows, &plan, |r| model::SORTS.position(&plan, r), out))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: AssignmentRulePatch,
    if_match: Option<i64>,
) -> ApiResult<AssignmentRuleOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            RULES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let nulls = [
                    ("/name", patch.name == Patch::Null),
                    ("/method", patch.method == Patch::Null),
                    ("/team_id", patch.team_id == Patch::Null),
                    ("/priority", patch.priority == Patch::Null),
                    ("/active", patch.active == Patch::Null),
                ];
                if let Some((field, _)) = nulls.iter().find(|(_, null)| *null) {
                    return Err(ApiError::invalid_field(field, "required", "cannot be null"));
                }
                let mut draft = AssignmentRuleIn {
                    name: before.name.clone(),
                    method: before.method,
                    team_id: before.team_id.clone(),
                    filter: before.filter.clone(),
                    priority: Some(before.priority),
                    active: Some(before.active),
                };
                if let Patch::Value(name) = patch.name {
                    draft.name = name;
                }
                if let Patch::Value(method) = patch.method {
                    draft.method = method;
                }
                if let Patch::Value(team) = patch.team_id {
                    draft.team_id = team;
                }
                patch.filter.apply_to(&mut draft.filter);
                patch.priority.apply_to(&mut draft.priority);
                patch.active.apply_to(&mut draft.active);
                validator::Validate::validate(&draft)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let scope = actor.scope();
                let fields = checked(conn, &scope, draft)?;
                let current = RuleFields {
                    name: before.name.clone(),
                    method: before.method.as_str().to_string(),
                    team_id: before.team_id.clone(),
                    filter: before.filter.as_ref().map(serde_json::to_string).transpose()?,
                    priority: before.priority,
                    active: before.active,
                };
                if current == fields {
                    return Ok(Edit::Unchanged);
                }
                model::save(conn, &scope, &id, &fields, true)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            RULES.delete(conn, &actor, &id, if_match, |conn, _| model::delete(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}
