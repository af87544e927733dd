//! Timelines merge their sources on (time, id), newest first.

use crm_core::audit::dto::AuditEntryOut;
use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Cursor, ListPlan, ListQuery, Page, Sort, Sorts, page};
use crm_core::registry::{self, ResourceSpec};
use crm_core::scope::Scope;
use crm_core::state::AppState;

use super::dto::{TimelineItem, TimelineQuery};
use crate::activity::dto::ActivityOut;
use crate::activity::model::Target;

/// Which record a timeline is about: one of a registered resource with `exists` (contacts,
/// companies, and the other domains' records activities can be about).
pub struct Subject {
    pub record_type: &'static str,
    pub id: String,
}

/// The subject's resource, once the caller may read it: 404 for a type without a timeline.
fn resource(state: &AppState, actor: &Actor, subject: &Subject) -> ApiResult<&'static ResourceSpec> {
    let spec = registry::resources(state.domains)
        .find(|r| r.record_type == subject.record_type && r.exists.is_some())
        .ok_or_else(|| ApiError::not_found(subject.record_type))?;
    actor.require(spec.permission, Action::Read)?;
    Ok(spec)
}

/// Whether the subject is a live record in the scope's sight.
fn exists(conn: &mut DbConnection, spec: &ResourceSpec, scope: &Scope, subject: &Subject) -> ApiResult<bool> {
    spec.exists.map_or(Ok(false), |exists| exists(conn, scope, &subject.id))
}

/// The plan a source pages with: newest first on its own time field, after the timeline's cursor.
fn source_plan<R>(sorts: &Sorts<R>, field: &'static str, plan: &ListPlan) -> ApiResult<ListPlan> {
    let after = plan.after.as_ref().map(|c| Cursor {
        field: field.to_string(),
        desc: true,
        value: c.value.clone(),
        id: c.id.clone(),
    });
    sorts.plan_by(field, true, plan.limit, after)
}

/// The subject's activities in the scope's sight.
fn activities(
    conn: &mut DbConnection,
    scope: &Scope,
    subject: &Subject,
    plan: &ListPlan,
) -> ApiResult<Vec<TimelineItem>> {
    let filters = crate::activity::model::Filters {
        about: vec![Target { record_type: subject.record_type.to_string(), record_id: subject.id.clone() }],
        ..Default::default()
    };
    let rows = crate::activity::model::list(
        conn,
        scope,
        &filters,
        &source_plan(&crate::activity::model::SORTS, "occurred_at", plan)?,
    )?;
    let rows = crate::activity::service::with_targets(conn, scope, rows)?;
    Ok(rows
        .into_iter()
        .map(|(activity, targets)| TimelineItem {
            item_type: "activity".into(),
            occurred_at: activity.occurred_at,
            activity: Some(ActivityOut::from_parts(activity, targets)),
            change: None,
        })
        .collect())
}

fn changes(
    conn: &mut DbConnection,
    scope: &Scope,
    subject: &Subject,
    plan: &ListPlan,
) -> ApiResult<Vec<AuditEntryOut>> {
    let filters = crm_core::audit::model::Filters {
        resource_type: Some(subject.record_type.to_string()),
        resource_id: Some(subject.id.clone()),
        ..Default::default()
    };
    changes_matching(conn, scope, &filters, plan)
}

/// The changes of the records other domains link to the subject (its deals, the leads
/// converted into it), of the resources the caller may read.
fn linked_changes(
    conn: &mut DbConnection,
    scope: &Scope,
    linked: &[&ResourceSpec],
    subject: &Subject,
    plan: &ListPlan,
) -> ApiResult<Vec<AuditEntryOut>> {
    let mut found = Vec::new();
    for spec in linked {
        let Some(ids) = spec.linked.map(|linked| linked(conn, scope, subject.record_type, &subject.id)).transpose()?
        else {
            continue;
        };
        if ids.is_empty() {
            continue;
        }
        let filters = crm_core::audit::model::Filters {
            resource_type: Some(spec.record_type.to_string()),
            resource_ids: Some(ids),
            ..Default::default()
        };
        found.extend(changes_matching(conn, scope, &filters, plan)?);
    }
    Ok(found)
}

fn changes_matching(
    conn: &mut DbConnection,
    scope: &Scope,
    filters: &crm_core::audit::model::Filters,
    plan: &ListPlan,
) -> ApiResult<Vec<AuditEntryOut>> {
    let rows = crm_core::audit::model::list(
        conn,
        scope,
        filters,
        &source_plan(&crm_core::audit::model::SORTS, "created_at", plan)?,
    )?;
    Ok(rows.into_iter().map(AuditEntryOut::from).collect())
}

fn item_key(item: &TimelineItem) -> (chrono::NaiveDateTime, String) {
    let id = match (&item.activity, &item.change) {
        (Some(a), _) => a.id.clone(),
        (_, Some(c)) => c.id.clone(),
        _ => String::new(),
    };
    (item.occurred_at, id)
}

fn timeline_plan(query: &TimelineQuery) -> ApiResult<ListPlan> {
    ListQuery { limit: query.limit, cursor: query.cursor.clone(), sort: None }
        .plan(&["timeline"], Sort { field: "timeline", desc: true })
}

pub async fn timeline(
    state: &AppState,
    actor: &Actor,
    subject: Subject,
    query: TimelineQuery,
) -> ApiResult<Page<TimelineItem>> {
    let spec = resource(state, actor, &subject)?;
    let linked: Vec<&ResourceSpec> = registry::resources(state.domains)
        .filter(|r| r.linked.is_some() && actor.require(r.permission, Action::Read).is_ok())
        .collect();
    let plan = timeline_plan(&query)?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let mut items = state
        .db
        .read(move |conn| {
            if !exists(conn, spec, &scope, &subject)? {
                return Err(ApiError::not_found(subject.record_type));
            }
            let mut items = activities(conn, &scope, &subject, &for_query)?;
            let mut changes = changes(conn, &scope, &subject, &for_query)?;
            changes.extend(linked_changes(conn, &scope, &linked, &subject, &for_query)?);
            items.extend(changes.into_iter().map(|change| TimelineItem {
                item_type: "change".into(),
                occurred_at: change.created_at,
                activity: None,
                change: Some(change),
            }));
            Ok(items)
        })
        .await?;
    items.sort_by_key(|item| std::cmp::Reverse(item_key(item)));
    items.truncate(plan.limit as usize + 1);
    Ok(page(
        items,
        &plan,
        |item| {
            let (time, id) = item_key(item);
            (crm_core::time::format(&time), id)
        },
        |item| item,
    ))
}

/// The record's field changes, newest first.
pub async fn history(
    state: &AppState,
    actor: &Actor,
    subject: Subject,
    query: TimelineQuery,
) -> ApiResult<Page<AuditEntryOut>> {
    let spec = resource(state, actor, &subject)?;
    let plan = timeline_plan(&query)?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state
        .db
        .read(move |conn| {
            if !exists(conn, spec, &scope, &subject)? {
                return Err(ApiError::not_found(subject.record_type));
            }
            changes(conn, &scope, &subject, &for_query)
        })
        .await?;
    Ok(page(rows, &plan, |c| (crm_core::time::format(&c.created_at), c.id.clone()), |c| c))
}
