//! SLA policies (each write one transaction, with its audit row and event), the SLA a ticket
//! gets from the first policy that matches it, and the scan that announces warnings and
//! breaches and escalates.
//!
//! A ticket's targets are counted from its creation in the policy's clock (business hours or
//! calendar time). While the ticket is pending the resolution clock stops: when it stops
//! pending, the resolution's due time moves on by as much business time as was left when it
//! paused. `sla_next_check_at` is when the scan next has something to announce about the
//! ticket, so the scan reads only those (one index).

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use crm_core::auth::{Action, Actor};
use crm_core::custom_fields::Schema;
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::http::{Page, Patch, page};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};
use serde_json::Value;

use super::dto::{Clock, SlaOut, SlaPoliciesQuery, SlaPolicyIn, SlaPolicyOut, SlaPolicyPatch, TargetOut, TargetStatus};
use super::model::{self, Policy, PolicyFields, RECORD_TYPE, TicketSla};
use crate::hours::calendar::Calendar;
use crate::permissions;
use crate::ticket::model::{self as tickets, Ticket};

/// The scheduled job that announces due warnings and breaches.
pub const SCAN_KIND: &str = "service.sla_scan";
/// Tickets the scan reads at a time.
const SCAN_CHUNK: i64 = 500;
/// Tickets announced in one transaction: a commit each would cost more than the announcements
/// (a flush to disk each), and a hundred locked tickets stay locked for a few milliseconds.
const ANNOUNCED_TOGETHER: usize = 100;

const POLICIES: Versioned<SlaPolicyOut> = Versioned {
    table: "sla_policies",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |p| p.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<SlaPolicyOut> {
    model::find(conn, scope, id)?.map(SlaPolicyOut::from).ok_or_else(|| ApiError::not_found("SLA policy"))
}

/// A filter of the filter language over tickets, compiled (422 under `/filter` when it is not one).
fn filter_condition(
    scope: &Scope,
    schema: &Schema,
    filter: &Value,
) -> ApiResult<crm_core::filter::Condition<crate::schema::tickets::table>> {
    let parsed: crm_core::filter::Filter = serde_json::from_value(filter.clone())
        .map_err(|_| ApiError::invalid_field("/filter", "invalid_filter", "must be a filter of the filter language"))?;
    let custom = schema.filter_fields();
    crm_core::filter::compile(&parsed, &tickets::LISTING.spec(scope, &custom), "/filter")
}

fn checked(conn: &mut DbConnection, scope: &Scope, input: SlaPolicyIn) -> ApiResult<PolicyFields> {
    validator::Validate::validate(&input).map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
    let name = input.name.trim().to_string();
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(FieldError::new("/name", "required", "a policy needs a name"));
    }
    if input.first_response_minutes.is_none() && input.resolution_minutes.is_none() {
        errors.push(FieldError::new(
            "/resolution_minutes",
            "required",
            "a policy needs a first response or a resolution target",
        ));
    }
    let escalation = input.escalation.unwrap_or_default();
    if let Some(team) = &escalation.team_id
        && crm_core::teams::model::find(conn, scope, team)?.is_none()
    {
        errors.push(FieldError::new("/escalation/team_id", "unknown_team", "must be a team of the organization"));
    }
    let filter = match input.filter.filter(|f| !f.is_null()) {
        Some(filter) => match filter_condition(scope, &Schema::load(conn, scope, tickets::RECORD_TYPE)?, &filter) {
            Ok(_) => Some(filter.to_string()),
            Err(e) => {
                errors.extend(e.errors);
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(PolicyFields {
        name,
        position: input.position.unwrap_or(0),
        filter,
        first_response_minutes: input.first_response_minutes,
        resolution_minutes: input.resolution_minutes,
        clock: input.clock.unwrap_or(Clock::Business).as_str().to_string(),
        warn_before_minutes: input.warn_before_minutes.unwrap_or(0),
        raise_priority: escalation.raise_priority,
        escalation_team_id: escalation.team_id,
    })
}

pub async fn create(state: &AppState, actor: &Actor, input: SlaPolicyIn) -> ApiResult<SlaPolicyOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let fields = checked(conn, &scope, input)?;
            let id = crm_core::id::new_id(model::ID_PREFIX);
            model::insert(conn, &scope, &id, &fields)?;
            POLICIES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<SlaPolicyOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: SlaPoliciesQuery) -> ApiResult<Page<SlaPolicyOut>> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &for_query)).await?;
    Ok(page(rows, &plan, |p| model::SORTS.position(&plan, p), SlaPolicyOut::from))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: SlaPolicyPatch,
    if_match: Option<i64>,
) -> ApiResult<SlaPolicyOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    for (null, pointer) in [
        (patch.name == Patch::Null, "/name"),
        (patch.position == Patch::Null, "/position"),
        (patch.clock == Patch::Null, "/clock"),
        (patch.warn_before_minutes == Patch::Null, "/warn_before_minutes"),
        (patch.escalation == Patch::Null, "/escalation"),
    ] {
        if null {
            return Err(ApiError::invalid_field(pointer, "required", "cannot be null"));
        }
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            POLICIES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let scope = actor.scope();
                let current = checked(conn, &scope, SlaPolicyIn::from(before.clone()))?;
                let mut draft = SlaPolicyIn::from(before.clone());
                if let Patch::Value(name) = patch.name {
                    draft.name = name;
                }
                patch.position.apply_to(&mut draft.position);
                patch.filter.apply_to(&mut draft.filter);
                patch.first_response_minutes.apply_to(&mut draft.first_response_minutes);
                patch.resolution_minutes.apply_to(&mut draft.resolution_minutes);
                patch.clock.apply_to(&mut draft.clock);
                patch.warn_before_minutes.apply_to(&mut draft.warn_before_minutes);
                patch.escalation.apply_to(&mut draft.escalation);
                let fields = checked(conn, &scope, draft)?;
                if fields == current {
                    return Ok(Edit::Unchanged);
                }
                model::update(conn, &scope, &id, &fields)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Deletes a policy. Tickets keep the due times it gave them.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            POLICIES.delete(conn, &actor, &id, if_match, |conn, _| model::delete(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}

/// Queues the scan now (it also runs every minute): its job's id.
pub async fn scan_now(state: &AppState, actor: &Actor) -> ApiResult<String> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    let empty = serde_json::json!({});
    state.db.write(move |conn| crm_core::jobs::model::enqueue(conn, &actor, SCAN_KIND, &empty, &empty, 3)).await
}

/// A ticket's SLA as the API shows it, `now`.
pub fn shown(t: &Ticket, now: NaiveDateTime) -> Option<SlaOut> {
    let policy_id = t.sla_policy_id.clone()?;
    let by = |done: Option<NaiveDateTime>, due: NaiveDateTime| match done {
        Some(at) if at <= due => TargetStatus::Met,
        Some(_) => TargetStatus::Breached,
        None if now > due => TargetStatus::Breached,
        None => TargetStatus::Active,
    };
    let first_response =
        t.first_response_due_at.map(|due_at| TargetOut { due_at, status: by(t.first_responded_at, due_at) });
    let resolution = t.resolution_due_at.map(|due_at| {
        let status = match (t.solved_at, t.sla_paused_at) {
            (None, Some(paused)) if paused <= due_at => TargetStatus::Paused,
            (None, Some(_)) => TargetStatus::Breached,
            (solved, None) | (solved @ Some(_), _) => by(solved, due_at),
        };
        TargetOut { due_at, status }
    });
    Some(SlaOut { policy_id, first_response, resolution })
}

fn sla_of(t: &Ticket) -> TicketSla {
    TicketSla {
        policy_id: t.sla_policy_id.clone(),
        first_response_due_at: t.first_response_due_at,
        resolution_due_at: t.resolution_due_at,
        paused_at: t.sla_paused_at,
        flags: t.sla_flags,
        next_check_at: t.sla_next_check_at,
    }
}

/// Whether the resolution clock runs: the ticket is neither pending nor done.
fn running(t: &Ticket) -> bool {
    !matches!(t.status.as_str(), "pending" | "solved" | "closed")
}

/// When the scan next has something to announce about the ticket under `policy`.
fn next_check(t: &Ticket, sla: &TicketSla, policy: &Policy) -> Option<NaiveDateTime> {
    let warn = Duration::minutes(i64::from(policy.warn_before_minutes));
    let mut times = Vec::new();
    let mut target = |due: Option<NaiveDateTime>, warned: i32, breached: i32| {
        if let Some(due) = due {
            if policy.warn_before_minutes > 0 && sla.flags & (warned | breached) == 0 {
                times.push(due - warn);
            }
            if sla.flags & breached == 0 {
                times.push(due);
            }
        }
    };
    if t.first_responded_at.is_none() && !matches!(t.status.as_str(), "solved" | "closed") {
        target(sla.first_response_due_at, model::FIRST_RESPONSE_WARNED, model::FIRST_RESPONSE_BREACHED);
    }
    if running(t) && sla.paused_at.is_none() {
        target(sla.resolution_due_at, model::RESOLUTION_WARNED, model::RESOLUTION_BREACHED);
    }
    times.into_iter().min()
}

/// The policy that takes the ticket: the first by position whose filter it matches (a filter
/// that no longer compiles, its custom field archived, matches nothing).
fn matching<'a>(
    conn: &mut DbConnection,
    scope: &Scope,
    policies: &'a [Policy],
    id: &str,
) -> ApiResult<Option<&'a Policy>> {
    // The ticket custom fields' definitions, read once for every policy's filter.
    let mut schema = None;
    for policy in policies {
        let Some(filter) = filter_of(policy) else {
            return Ok(Some(policy));
        };
        let schema = match &schema {
            Some(schema) => schema,
            None => schema.insert(Schema::load(conn, scope, tickets::RECORD_TYPE)?),
        };
        if let Ok(condition) = filter_condition(scope, schema, &filter)
            && tickets::matches(conn, scope, id, condition)?
        {
            return Ok(Some(policy));
        }
    }
    Ok(None)
}

/// A policy's conditions (none: it takes every ticket).
fn filter_of(policy: &Policy) -> Option<Value> {
    policy.filter.as_deref().and_then(|f| serde_json::from_str::<Value>(f).ok())
}

/// The SLA of a ticket about to be stored (`t`, as it will be), when telling it needs no read of
/// its row: when there is no policy, or the first one has no conditions. `None` when a policy's
/// conditions must read the stored row: [`attach`] once it is stored.
pub(crate) fn for_new(conn: &mut DbConnection, scope: &Scope, t: &Ticket) -> ApiResult<Option<TicketSla>> {
    let policies = model::all(conn, scope.org_id())?;
    let policy = match policies.first() {
        None => None,
        Some(first) if filter_of(first).is_none() => Some(first),
        Some(_) => return Ok(None),
    };
    under(conn, scope, t, &TicketSla::default(), policy, crm_core::time::now()).map(Some)
}

/// Gives the stored ticket the SLA of the policy that takes it now, on the caller's connection
/// (after the ticket's own write, in its transaction). Whether its SLA changed.
pub(crate) fn attach(conn: &mut DbConnection, scope: &Scope, ticket_id: &str) -> ApiResult<bool> {
    let everything = scope.unrestricted();
    let policies = model::all(conn, scope.org_id())?;
    let Some(t) = tickets::find(conn, &everything, ticket_id)? else { return Ok(false) };
    if policies.is_empty() && t.sla_policy_id.is_none() {
        return Ok(false);
    }
    let current = sla_of(&t);
    let policy = matching(conn, &everything, &policies, ticket_id)?;
    let next = under(conn, scope, &t, &current, policy, crm_core::time::now())?;
    if next == current {
        return Ok(false);
    }
    model::set_ticket_sla(conn, scope, ticket_id, &next)?;
    Ok(true)
}

/// The SLA `policy` (none: no SLA) gives the ticket now, from the one it has (`current`):
/// targets counted from its creation when the policy is new to it, the resolution paused or
/// moved on when it started or stopped pending.
fn under(
    conn: &mut DbConnection,
    scope: &Scope,
    t: &Ticket,
    current: &TicketSla,
    policy: Option<&Policy>,
    now: NaiveDateTime,
) -> ApiResult<TicketSla> {
    let Some(policy) = policy else { return Ok(TicketSla::default()) };
    // The business hours are read only for a policy that counts them.
    let clock = match policy.clock.as_str() {
        "calendar" => Calendar::always_open(),
        _ => crate::hours::service::calendar(conn, scope)?,
    };
    let mut sla = if current.policy_id.as_deref() == Some(policy.id.as_str()) {
        current.clone()
    } else {
        let after = |minutes: Option<i32>| minutes.map(|m| clock.add(t.created_at, i64::from(m) * 60));
        TicketSla {
            policy_id: Some(policy.id.clone()),
            first_response_due_at: after(policy.first_response_minutes),
            resolution_due_at: after(policy.resolution_minutes),
            ..Default::default()
        }
    };
    match (t.status == "pending", sla.paused_at) {
        (true, None) => sla.paused_at = Some(now),
        (false, Some(paused)) => {
            if let Some(due) = sla.resolution_due_at.filter(|due| *due > paused) {
                sla.resolution_due_at = Some(clock.add(now, clock.between(paused, due)));
            }
            sla.paused_at = None;
        }
        _ => {}
    }
    sla.next_check_at = next_check(t, &sla, policy);
    Ok(sla)
}

/// The scheduled scan: every ticket of the organization with a warning or a breach due gets it
/// announced (`ticket.sla_warning`, `ticket.sla_breached`, each with its audit row, a hundred
/// tickets to a transaction), and a breach escalated as its policy says. A ticket announced is not announced again; a scan cut
/// short does the rest on its next run.
pub fn run_scan(ctx: &crm_core::jobs::JobContext) -> Result<(), crm_core::jobs::JobError> {
    let now = crm_core::time::now();
    let org_id = ctx.actor.org_id.clone();
    let policies: HashMap<String, Policy> =
        ctx.read(|conn| model::all(conn, &org_id))?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut after = String::new();
    loop {
        let due = ctx.read(|conn| model::due(conn, &org_id, now, &after, SCAN_CHUNK))?;
        let Some(last) = due.last() else { return Ok(()) };
        after = last.clone();
        for ids in due.chunks(ANNOUNCED_TOGETHER) {
            ctx.write(|conn| ids.iter().try_for_each(|id| announce(conn, &ctx.actor, &policies, id, now)))?;
        }
    }
}

/// Announces what is due about one ticket.
fn announce(
    conn: &mut DbConnection,
    actor: &Actor,
    policies: &HashMap<String, Policy>,
    id: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let scope = actor.scope();
    let everything = scope.unrestricted();
    crate::ticket::service::TICKETS.update_named(conn, actor, id, None, |conn, _| {
        let Some(t) = tickets::find(conn, &everything, id)? else { return Ok((Edit::Unchanged, "sla_warning")) };
        let mut sla = sla_of(&t);
        let Some(policy) = sla.policy_id.as_ref().and_then(|p| policies.get(p)) else {
            // Its policy was deleted: nothing more to announce.
            sla.next_check_at = None;
            model::set_ticket_sla(conn, &scope, id, &sla)?;
            return Ok((Edit::Unchanged, "sla_warning"));
        };
        let warn = Duration::minutes(i64::from(policy.warn_before_minutes));
        let (mut warned, mut breached) = (false, false);
        let mut check = |due: Option<NaiveDateTime>, warn_bit: i32, breach_bit: i32, flags: &mut i32| {
            let Some(due) = due else { return };
            if now >= due && *flags & breach_bit == 0 {
                *flags |= warn_bit | breach_bit;
                breached = true;
            } else if policy.warn_before_minutes > 0 && now >= due - warn && *flags & (warn_bit | breach_bit) == 0 {
                *flags |= warn_bit;
                warned = true;
            }
        };
        let mut flags = sla.flags;
        if t.first_responded_at.is_none() && !matches!(t.status.as_str(), "solved" | "closed") {
            check(sla.first_response_due_at, model::FIRST_RESPONSE_WARNED, model::FIRST_RESPONSE_BREACHED, &mut flags);
        }
        if running(&t) && sla.paused_at.is_none() {
            check(sla.resolution_due_at, model::RESOLUTION_WARNED, model::RESOLUTION_BREACHED, &mut flags);
        }
        sla.flags = flags;
        sla.next_check_at = next_check(&t, &sla, policy);
        if !warned && !breached {
            model::set_ticket_sla(conn, &scope, id, &sla)?;
            return Ok((Edit::Unchanged, "sla_warning"));
        }
        let mut fields = tickets::fields_of(&t);
        if breached {
            if policy.raise_priority != 0 {
                fields.priority = raised(&fields.priority).to_string();
            }
            if let Some(team) = &policy.escalation_team_id
                && fields.team_id.as_ref() != Some(team)
            {
                let assignee = crate::routing::service::pick(conn, &scope, team)?;
                (fields.team_id, fields.assignee_id) = (Some(team.clone()), assignee);
            }
        }
        crate::ticket::service::store_escalation(conn, &scope, &t, &fields, &sla)?;
        Ok((Edit::Changed, if breached { "sla_breached" } else { "sla_warning" }))
    })?;
    Ok(())
}

/// The next priority up (urgent stays urgent).
fn raised(priority: &str) -> &'static str {
    match priority {
        "low" => "normal",
        "normal" => "high",
        _ => "urgent",
    }
}

#[cfg(test)]
mod tests {
    use super::raised;

    #[test]
    fn priorities_rise_a_level() {
        assert_eq!(
            [raised("low"), raised("normal"), raised("high"), raised("urgent")],
            ["normal", "high", "urgent", "urgent"]
        );
    }
}
