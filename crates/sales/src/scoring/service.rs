//! Scoring use cases: rules (each write one transaction with its audit row and event, and a
//! rescore of the organization's leads queued with it), a lead's score explained, and the
//! rescore every lead write runs.

use chrono::NaiveDateTime;
use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};
use serde_json::Value;

use super::dto::{FiredRule, LeadScore, RuleKind, ScoringRuleIn, ScoringRuleOut, ScoringRulePatch, ScoringRulesQuery};
use super::model::{self, RECORD_TYPE, Rule, RuleFields};
use crate::permissions;

/// The job that rescores an organization's leads: queued by rule changes, and hourly for
/// decay and activities.
pub const RESCORE_KIND: &str = "sales.rescore_leads";

/// A rule's fields, checked: a field rule needs a filter that compiles and takes no activity
/// settings; an activity rule needs a window and no filter.
fn checked(conn: &mut DbConnection, scope: &Scope, input: ScoringRuleIn) -> ApiResult<RuleFields> {
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::invalid_field("/name", "required", "a rule needs a name"));
    }
    let filter = match (input.kind, &input.filter) {
        (RuleKind::Field, Some(filter)) => {
            crate::lead::service::filter_condition(conn, scope, filter)?;
            Some(serde_json::to_string(filter)?)
        }
        (RuleKind::Field, None) => {
            return Err(ApiError::invalid_field("/filter", "required", "a field rule needs a filter"));
        }
        (RuleKind::Activity, Some(_)) => {
            return Err(ApiError::invalid_field("/filter", "not_allowed", "an activity rule counts activities"));
        }
        (RuleKind::Activity, None) => None,
    };
    if input.kind == RuleKind::Activity && input.window_days.is_none() {
        return Err(ApiError::invalid_field("/window_days", "required", "an activity rule needs a window"));
    }
    if input.kind == RuleKind::Field
        && let Some((field, _)) = [
            ("/activity_kind", input.activity_kind.is_some()),
            ("/window_days", input.window_days.is_some()),
            ("/min_count", input.min_count.is_some()),
            ("/decay_days", input.decay_days.is_some()),
        ]
        .into_iter()
        .find(|(_, given)| *given)
    {
        return Err(ApiError::invalid_field(field, "not_allowed", "only activity rules count activities"));
    }
    let activity = input.kind == RuleKind::Activity;
    Ok(RuleFields {
        name,
        kind: input.kind.as_str().to_string(),
        filter,
        activity_kind: input.activity_kind.map(|k| k.as_str().to_string()),
        window_days: input.window_days,
        min_count: activity.then(|| input.min_count.unwrap_or(1)),
        points: input.points,
        decay_days: input.decay_days,
        active: input.active.unwrap_or(true),
    })
}

/// What each rule gives the lead now: the total and the rules that fired.
pub fn evaluate(
    conn: &mut DbConnection,
    scope: &Scope,
    lead_id: &str,
    rules: &[Rule],
    now: NaiveDateTime,
) -> ApiResult<(i32, Vec<FiredRule>)> {
    let mut fired = Vec::new();
    for rule in rules {
        let outcome = match rule.kind.as_str() {
            "field" => {
                let filter: Value =
                    rule.filter.as_deref().and_then(|f| serde_json::from_str(f).ok()).unwrap_or(Value::Null);
                // A rule whose field no longer exists (a custom field archived) gives nothing.
                let matches = crate::lead::service::matches(conn, scope, lead_id, &filter)?;
                matches.then(|| (rule.points, "the lead's fields match the filter".to_string()))
            }
            _ => {
                let window = i64::from(rule.window_days.unwrap_or(30));
                let since = now - chrono::Duration::days(window);
                let counted = model::activities(conn, scope, lead_id, rule.activity_kind.as_deref(), since)?;
                match counted.latest {
                    Some(latest) if counted.count >= i64::from(rule.min_count.unwrap_or(1)) => {
                        let age = (now - latest).num_seconds().max(0) as f64 / 86_400.0;
                        let points = match rule.decay_days {
                            Some(half_life) => {
                                (f64::from(rule.points) * 0.5f64.powf(age / f64::from(half_life))).round() as i32
                            }
                            None => rule.points,
                        };
                        let kind = rule.activity_kind.as_deref().unwrap_or("any");
                        let decay = rule.decay_days.map(|d| format!("; halved every {d} days")).unwrap_or_default();
                        let detail = format!(
                            "{} {kind} activities in {window} days, the latest {:.0} days ago{decay}",
                            counted.count,
                            age.floor()
                        );
                        Some((points, detail))
                    }
                    _ => None,
                }
            }
        };
        if let Some((points, detail)) = outcome {
            fired.push(FiredRule {
                rule_id: rule.id.clone(),
                name: rule.name.clone(),
                points,
                base_points: rule.points,
                detail,
            });
        }
    }
    Ok((fired.iter().map(|f| f.points).sum(), fired))
}

/// Computes and stores a lead's score: the score.
pub fn rescore(conn: &mut DbConnection, scope: &Scope, lead_id: &str) -> ApiResult<i32> {
    let rules = model::active(conn, scope)?;
    let (score, _) = evaluate(conn, scope, lead_id, &rules, crm_core::time::now())?;
    model::set_score(conn, scope, lead_id, score)?;
    Ok(score)
}

/// The rescore job: every live lead of the organization not converted, 500 per transaction.
pub fn run_rescore(ctx: &crm_core::jobs::JobContext) -> Result<(), crm_core::jobs::JobError> {
    let scope = ctx.actor.scope();
    let mut after = String::new();
    loop {
        let ids = ctx.write(|conn| model::lead_ids(conn, scope.org_id(), &after, 500))?;
        let Some(last) = ids.last().cloned() else { return Ok(()) };
        ctx.write(|conn| {
            let rules = model::active(conn, &scope)?;
            let now = crm_core::time::now();
            for id in &ids {
                let (score, _) = evaluate(conn, &scope, id, &rules, now)?;
                model::set_score(conn, &scope, id, score)?;
            }
            Ok(())
        })?;
        after = last;
    }
}

/// A lead's score now, and the rules that fired.
pub async fn explain(state: &AppState, actor: &Actor, lead_id: String) -> ApiResult<LeadScore> {
    actor.require(permissions::LEADS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            crate::lead::model::find(conn, &scope, &lead_id)?.ok_or_else(|| ApiError::not_found("lead"))?;
            let rules = model::active(conn, &scope)?;
            let (score, rules) = evaluate(conn, &scope, &lead_id, &rules, crm_core::time::now())?;
            Ok(LeadScore { lead_id, score, rules })
        })
        .await
}

const RULES: Versioned<ScoringRuleOut> = Versioned {
    table: "lead_scoring_rules",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |r| r.version,
};

fn out(r: Rule) -> ScoringRuleOut {
    ScoringRuleOut {
        id: r.id,
        name: r.name,
        kind: if r.kind == "field" { RuleKind::Field } else { RuleKind::Activity },
        filter: r.filter.and_then(|f| serde_json::from_str(&f).ok()),
        activity_kind: r.activity_kind,
        window_days: r.window_days,
        min_count: r.min_count,
        points: r.points,
        decay_days: r.decay_days,
        active: r.active,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    }
}

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ScoringRuleOut> {
    model::find(conn, scope, id)?.map(out).ok_or_else(|| ApiError::not_found("scoring rule"))
}

/// Queues the rescore of the organization's leads, with the change that calls for it.
fn queue_rescore(conn: &mut DbConnection, actor: &Actor) -> ApiResult<()> {
    let empty = serde_json::json!({});
    crm_core::jobs::model::enqueue(conn, actor, RESCORE_KIND, &empty, &empty, 3)?;
    Ok(())
}

pub async fn create(state: &AppState, actor: &Actor, input: ScoringRuleIn) -> ApiResult<ScoringRuleOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let fields = checked(conn, &scope, input)?;
            let id = crm_core::id::new_id(model::ID_PREFIX);
            model::save(conn, &scope, &id, &fields, false)?;
            queue_rescore(conn, &actor)?;
            RULES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<ScoringRuleOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: ScoringRulesQuery) -> ApiResult<Page<ScoringRuleOut>> {
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
    patch: ScoringRulePatch,
    if_match: Option<i64>,
) -> ApiResult<ScoringRuleOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            RULES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = ScoringRuleIn {
                    name: before.name.clone(),
                    kind: before.kind,
                    filter: before.filter.clone(),
                    activity_kind: before
                        .activity_kind
                        .as_deref()
                        .and_then(crm_contacts::activity::dto::ActivityKind::parse),
                    window_days: before.window_days,
                    min_count: before.min_count,
                    points: before.points,
                    decay_days: before.decay_days,
                    active: Some(before.active),
                };
                let nulls = [
                    ("/name", patch.name == Patch::Null),
                    ("/points", patch.points == Patch::Null),
                    ("/active", patch.active == Patch::Null),
                ];
                if let Some((field, _)) = nulls.iter().find(|(_, null)| *null) {
                    return Err(ApiError::invalid_field(field, "required", "cannot be null"));
                }
                if let Patch::Value(name) = patch.name {
                    draft.name = name;
                }
                if let Patch::Value(points) = patch.points {
                    draft.points = points;
                }
                patch.filter.apply_to(&mut draft.filter);
                patch.activity_kind.apply_to(&mut draft.activity_kind);
                patch.window_days.apply_to(&mut draft.window_days);
                patch.min_count.apply_to(&mut draft.min_count);
                patch.decay_days.apply_to(&mut draft.decay_days);
                patch.active.apply_to(&mut draft.active);
                validator::Validate::validate(&draft)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let scope = actor.scope();
                let fields = checked(conn, &scope, draft)?;
                let current = model::find(conn, &scope, &id)?.ok_or_else(|| ApiError::not_found("scoring rule"))?;
                let same = RuleFields {
                    name: current.name,
                    kind: current.kind,
                    filter: current.filter,
                    activity_kind: current.activity_kind,
                    window_days: current.window_days,
                    min_count: current.min_count,
                    points: current.points,
                    decay_days: current.decay_days,
                    active: current.active,
                } == fields;
                if same {
                    return Ok(Edit::Unchanged);
                }
                model::save(conn, &scope, &id, &fields, true)?;
                queue_rescore(conn, &actor)?;
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
            RULES.delete(conn, &actor, &id, if_match, |conn, _| {
                model::delete(conn, &actor.scope(), &id)?;
                queue_rescore(conn, &actor)
            })?;
            Ok(())
        })
        .await
}
