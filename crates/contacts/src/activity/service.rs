//! Activity use cases: each one transaction, with its audit row and event.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::http::{Page, Patch, page, trimmed};
use crm_core::registry::{self, Domain};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{ActivitiesQuery, ActivityIn, ActivityKind, ActivityOut, ActivityPatch, Direction, TaskStatus};
use super::model::{self, ActivityFields, Filters, RECORD_TYPE, Target};
use crate::permissions;

/// Checks the fields each kind needs, and returns what to store and what it is about.
fn normalize(input: ActivityIn) -> ApiResult<(ActivityFields, Vec<Target>)> {
    let mut errors = Vec::new();
    let (subject, body) = (trimmed(input.subject), trimmed(input.body));
    let kind = input.kind;
    let require = |present: bool, pointer: &str, errors: &mut Vec<FieldError>| {
        if !present {
            errors.push(FieldError::new(pointer, "required", format!("a {} needs it", kind.as_str())));
        }
    };
    match kind {
        ActivityKind::Note => require(body.is_some(), "/body", &mut errors),
        ActivityKind::Task | ActivityKind::Email => require(subject.is_some(), "/subject", &mut errors),
        ActivityKind::Meeting => require(input.starts_at.is_some(), "/starts_at", &mut errors),
        ActivityKind::Call => {}
    }
    if let (Some(start), Some(end)) = (input.starts_at, input.ends_at)
        && end < start
    {
        errors.push(FieldError::new("/ends_at", "before_start", "a meeting ends after it starts"));
    }
    let typed =
        [("contact", input.contact_ids.unwrap_or_default()), ("company", input.company_ids.unwrap_or_default())]
            .into_iter()
            .flat_map(|(record_type, ids)| ids.into_iter().map(move |id| (record_type.to_string(), id)));
    let about = input.about.unwrap_or_default().into_iter().map(|r| (r.record_type.trim().to_string(), r.id));
    let mut targets: Vec<Target> = Vec::new();
    for (record_type, id) in about.chain(typed) {
        let target = Target { record_type, record_id: id.trim().to_string() };
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    targets.sort_by(|a, b| (&a.record_type, &a.record_id).cmp(&(&b.record_type, &b.record_id)));
    if targets.is_empty() {
        errors.push(FieldError::new(
            "/contact_ids",
            "required",
            "an activity is about at least one record (a contact, a company, or another in `about`)",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let is_task = kind == ActivityKind::Task;
    let fields = ActivityFields {
        kind: kind.as_str().to_string(),
        subject,
        body,
        occurred_at: input.occurred_at.unwrap_or_else(crm_core::time::now),
        due_at: input.due_at.filter(|_| is_task),
        status: is_task.then(|| if input.status == Some(TaskStatus::Done) { "done" } else { "open" }.to_string()),
        assignee_id: trimmed(input.assignee_id).filter(|_| is_task),
        direction: input.direction.map(|d| if d == Direction::Inbound { "inbound" } else { "outbound" }.to_string()),
        duration_seconds: input.duration_seconds,
        outcome: trimmed(input.outcome),
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        attendees: serde_json::to_string(&input.attendees.unwrap_or_default())?,
        message_id: trimmed(input.message_id),
    };
    Ok((fields, targets))
}

/// 422 unless every target is a live record of the organization, of a registered type with a
/// timeline, and the assignee an active user.
fn check_references(
    conn: &mut DbConnection,
    domains: &[&Domain],
    scope: &Scope,
    fields: &ActivityFields,
    targets: &[Target],
) -> ApiResult<()> {
    if let Some(assignee) = &fields.assignee_id {
        crm_core::users::model::check_owner(conn, scope, assignee).map_err(|_| {
            ApiError::invalid_field("/assignee_id", "unknown_user", "must be an active user of the organization")
        })?;
    }
    // References are checked across the organization, whoever may see them.
    let whole = scope.unrestricted();
    let mut errors = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let Some(exists) =
            registry::resources(domains).find(|r| r.record_type == target.record_type).and_then(|r| r.exists)
        else {
            let types: Vec<_> =
                registry::resources(domains).filter(|r| r.exists.is_some()).map(|r| r.record_type).collect();
            errors.push(FieldError::new(
                "/about",
                "unknown_record_type",
                format!("{:?} has no timeline; record types: {} (item {i})", target.record_type, types.join(", ")),
            ));
            continue;
        };
        if !exists(conn, &whole, &target.record_id)? {
            let pointer = match target.record_type.as_str() {
                "contact" | "company" => format!("/{}_ids", target.record_type),
                _ => "/about".to_string(),
            };
            errors.push(FieldError::new(
                pointer,
                "unknown_record",
                format!("{} {} is not in the organization (item {i})", target.record_type, target.record_id),
            ));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

/// Activities as the write runner takes them.
const ACTIVITIES: Versioned<ActivityOut> = Versioned {
    table: "activities",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |a| a.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ActivityOut> {
    let activity = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("activity"))?;
    let targets = model::targets(conn, scope, id)?;
    Ok(ActivityOut::from_parts(activity, targets))
}

pub async fn create(state: &AppState, actor: &Actor, input: ActivityIn) -> ApiResult<ActivityOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let (fields, targets) = normalize(input)?;
    let (actor, domains) = (actor.clone(), state.domains);
    state
        .db
        .write_planned(move |conn| {
            // Checked by reads; then the row, its links, the audit row and the event in one statement.
            let scope = actor.scope();
            check_references(conn, domains, &scope, &fields, &targets)?;
            let (id, now) = (crm_core::id::new_id(model::ID_PREFIX), crm_core::time::now());
            let mut writes = vec![model::insert(&scope, &id, &actor.user_id, &fields, now)];
            writes.extend(model::target_rows(&scope, &id, &targets));
            let created = ActivityOut::from_parts(model::inserted(&scope, &id, &actor.user_id, fields, now), targets);
            Ok(ACTIVITIES.plan_created(&actor, &id, created, writes))
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<ActivityOut> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: ActivitiesQuery) -> ApiResult<Page<ActivityOut>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let about = [("contact", query.contact_id), ("company", query.company_id)]
        .into_iter()
        .filter_map(|(record_type, id)| Some(Target { record_type: record_type.into(), record_id: id? }))
        .collect();
    let filters = Filters {
        kind: query.kind.map(|k| k.as_str().to_string()),
        status: query.status.map(|s| if s == TaskStatus::Done { "done" } else { "open" }.to_string()),
        assignee_id: query.assignee_id,
        about,
    };
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state
        .db
        .read(move |conn| {
            let rows = model::list(conn, &scope, &filters, &for_query)?;
            with_targets(conn, &scope, rows)
        })
        .await?;
    Ok(page(rows, &plan, |(a, _)| model::SORTS.position(&plan, a), |(a, t)| ActivityOut::from_parts(a, t)))
}

/// Pairs each activity with its targets, loaded in one query.
pub fn with_targets(
    conn: &mut DbConnection,
    scope: &Scope,
    rows: Vec<model::Activity>,
) -> ApiResult<Vec<(model::Activity, Vec<Target>)>> {
    let ids: Vec<String> = rows.iter().map(|a| a.id.clone()).collect();
    let mut targets = model::targets_of(conn, scope, &ids)?;
    Ok(rows
        .into_iter()
        .map(|a| {
            let t = targets.remove(&a.id).unwrap_or_default();
            (a, t)
        })
        .collect())
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: ActivityPatch,
    if_match: Option<i64>,
) -> ApiResult<ActivityOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let (actor, domains) = (actor.clone(), state.domains);
    state
        .db
        .write(move |conn| {
            ACTIVITIES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = ActivityIn::from(before.clone());
                apply(&mut draft, patch)?;
                let (fields, targets) = normalize(draft)?;
                if normalize(ActivityIn::from(before.clone()))
                    .is_ok_and(|current| current == (fields.clone(), targets.clone()))
                {
                    return Ok(Edit::Unchanged);
                }
                check_references(conn, domains, &actor.scope(), &fields, &targets)?;
                model::update(conn, &actor.scope(), &id, &fields)?;
                model::set_targets(conn, &actor.scope(), &id, &targets)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

fn apply(draft: &mut ActivityIn, patch: ActivityPatch) -> ApiResult<()> {
    fn set_time(field: &mut Option<chrono::NaiveDateTime>, patch: Patch<String>, pointer: &str) -> ApiResult<()> {
        match patch {
            Patch::Absent => {}
            Patch::Null => *field = None,
            Patch::Value(text) => {
                *field =
                    Some(crm_core::time::parse(&text).ok_or_else(|| {
                        ApiError::invalid_field(pointer, "invalid_type", "must be an RFC 3339 date-time")
                    })?)
            }
        }
        Ok(())
    }
    if patch.occurred_at == Patch::Null {
        return Err(ApiError::invalid_field("/occurred_at", "required", "an activity always has a time"));
    }
    patch.subject.apply_to(&mut draft.subject);
    patch.body.apply_to(&mut draft.body);
    set_time(&mut draft.occurred_at, patch.occurred_at, "/occurred_at")?;
    set_time(&mut draft.due_at, patch.due_at, "/due_at")?;
    patch.status.apply_to(&mut draft.status);
    patch.assignee_id.apply_to(&mut draft.assignee_id);
    patch.direction.apply_to(&mut draft.direction);
    patch.duration_seconds.apply_to(&mut draft.duration_seconds);
    patch.outcome.apply_to(&mut draft.outcome);
    set_time(&mut draft.starts_at, patch.starts_at, "/starts_at")?;
    set_time(&mut draft.ends_at, patch.ends_at, "/ends_at")?;
    patch.attendees.apply_to(&mut draft.attendees);
    // `about` replaces every target, then each typed list those of its type.
    if patch.about != Patch::Absent {
        (draft.contact_ids, draft.company_ids) = (None, None);
    }
    patch.about.apply_to(&mut draft.about);
    for (record_type, typed) in [("contact", &patch.contact_ids), ("company", &patch.company_ids)] {
        if *typed != Patch::Absent
            && let Some(about) = &mut draft.about
        {
            about.retain(|r| r.record_type != record_type);
        }
    }
    patch.contact_ids.apply_to(&mut draft.contact_ids);
    patch.company_ids.apply_to(&mut draft.company_ids);
    if draft.duration_seconds.is_some_and(|d| !(0..=86400).contains(&d)) {
        return Err(ApiError::invalid_field("/duration_seconds", "range", "must be 0 to 86400"));
    }
    Ok(())
}

pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            ACTIVITIES.delete(conn, &actor, &id, if_match, |conn, _| {
                ACTIVITIES.set_trashed(conn, &actor.scope(), &id, true)
            })?;
            Ok(())
        })
        .await
}
