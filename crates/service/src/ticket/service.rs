//! Ticket use cases: each one transaction, with its audit row and event. Statuses move along
//! [`TicketStatus::may_become`]; a closed ticket is read-only.

use std::collections::BTreeMap;

use diesel::RunQueryDsl;

use chrono::NaiveDateTime;
use crm_core::auth::{Action, Actor};
use crm_core::batch::{BatchMode, BatchResponse, MatchOn, Outcome};
use crm_core::custom_fields::{Schema, values};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::filter::SearchRequest;
use crm_core::http::{Page, Patch, trimmed};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Planned, Versioned};
use crm_core::{records, search_index};
use serde_json::{Map, Value};

use super::dto::{Channel, Priority, TicketBatchRequest, TicketIn, TicketOut, TicketPatch, TicketStatus, TicketsQuery};
use super::model::{self, Filters, Milestones, RECORD_TYPE, Ticket, TicketFields};
use crate::permissions;

/// A ticket as given, checked on its own.
struct Normalized {
    fields: TicketFields,
    /// As given: checked against the custom field definitions when stored.
    custom: Map<String, Value>,
    tags: Vec<String>,
    external_ids: BTreeMap<String, String>,
}

fn normalize(input: TicketIn) -> ApiResult<Normalized> {
    let mut errors = Vec::new();
    let subject = input.subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() {
        errors.push(FieldError::new("/subject", "required", "a ticket needs a subject"));
    }
    let tags = match records::normalize_tags(&input.tags.unwrap_or_default(), "/tags") {
        Ok(tags) => tags,
        Err(e) => {
            errors.extend(e.errors);
            Vec::new()
        }
    };
    let external_ids = input.external_ids.unwrap_or_default();
    if let Err(e) = records::check_external_ids(&external_ids, "/external_ids") {
        errors.extend(e.errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let fields = TicketFields {
        subject,
        description: trimmed(input.description),
        status: input.status.unwrap_or(TicketStatus::New).as_str().to_string(),
        priority: input.priority.unwrap_or(Priority::Normal).as_str().to_string(),
        channel: input.channel.unwrap_or(Channel::Api).as_str().to_string(),
        requester_id: trimmed(input.requester_id),
        company_id: trimmed(input.company_id),
        assignee_id: trimmed(input.assignee_id),
        team_id: trimmed(input.team_id),
        tags: serde_json::to_string(&tags)?,
        external_ids: serde_json::to_string(&external_ids)?,
        custom: String::new(),
    };
    Ok(Normalized { fields, custom: input.custom.unwrap_or_default(), tags, external_ids })
}

/// Checks what the ticket names against the stored data: its requester and company (records
/// the caller can see), its assignee (an active user) and team. Only what changed is read.
fn check_links(
    conn: &mut DbConnection,
    scope: &Scope,
    fields: &TicketFields,
    before: Option<&TicketOut>,
) -> ApiResult<()> {
    let mut errors = Vec::new();
    let changed = |now: &Option<String>, was: fn(&TicketOut) -> &Option<String>| match (now, before) {
        (None, _) => None,
        (Some(id), Some(before)) if was(before).as_ref() == Some(id) => None,
        (Some(id), _) => Some(id.clone()),
    };
    if let Some(id) = changed(&fields.requester_id, |t| &t.requester_id)
        && crm_contacts::contact::model::find(conn, scope, &id)?.is_none()
    {
        errors.push(FieldError::new("/requester_id", "unknown_contact", "must be a contact you can see"));
    }
    if let Some(id) = changed(&fields.company_id, |t| &t.company_id)
        && crm_contacts::company::model::find(conn, scope, &id)?.is_none()
    {
        errors.push(FieldError::new("/company_id", "unknown_company", "must be a company you can see"));
    }
    if let Some(id) = changed(&fields.assignee_id, |t| &t.assignee_id)
        && crm_core::users::model::find(conn, scope, &id)?.is_none_or(|u| u.status != "active")
    {
        errors.push(FieldError::new("/assignee_id", "unknown_user", "must be an active user of the organization"));
    }
    if let Some(id) = changed(&fields.team_id, |t| &t.team_id)
        && crm_core::teams::model::find(conn, scope, &id)?.is_none()
    {
        errors.push(FieldError::new("/team_id", "unknown_team", "must be a team of the organization"));
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

/// A ticket's search document: its number and subject.
fn document<'a>(id: &'a str, title: &'a str, fields: &'a TicketFields) -> search_index::Document<'a> {
    search_index::Document {
        record_type: RECORD_TYPE,
        record_id: id,
        title,
        subtitle: Some(fields.status.as_str()),
        texts: vec![title],
        phones: Vec::new(),
        owner_id: fields.assignee_id.as_deref(),
    }
}

fn title(number: i64, fields: &TicketFields) -> String {
    format!("#{number} {}", fields.subject)
}

/// What moving from `from` to `to` stamps on a ticket, `responded` when an agent's public
/// reply goes with it.
pub(crate) fn milestones_after(
    before: &Milestones,
    from: TicketStatus,
    to: TicketStatus,
    responded: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Milestones {
    let mut after = *before;
    if after.first_responded_at.is_none() {
        after.first_responded_at = responded;
    }
    if from != to {
        match to {
            TicketStatus::Solved => after.solved_at = Some(now),
            TicketStatus::Closed => after.closed_at = Some(now),
            _ if from == TicketStatus::Solved => {
                after.solved_at = None;
                after.reopened_count += 1;
            }
            _ => {}
        }
    }
    after
}

fn milestones_of(t: &TicketOut) -> Milestones {
    Milestones {
        first_responded_at: t.first_responded_at,
        solved_at: t.solved_at,
        closed_at: t.closed_at,
        reopened_count: t.reopened_count,
    }
}

/// A ticket's creation, worked out by reads: numbered `number`, or the next of the counter.
fn plan_create(
    conn: &mut DbConnection,
    actor: &Actor,
    ticket: &Normalized,
    number: Option<i64>,
) -> ApiResult<Planned<TicketOut>> {
    let (id, scope, now) = (crm_core::id::new_id(model::ID_PREFIX), actor.scope(), crm_core::time::now());
    let mut fields = ticket.fields.clone();
    if fields.status == TicketStatus::Closed.as_str() {
        return Err(ApiError::invalid_field("/status", "invalid_status", "a ticket is closed once solved"));
    }
    // A ticket for a team goes to the member its routing picks; else a creator who sees only
    // their own tickets (or their team's) is its assignee, so that it stays in their sight.
    if fields.assignee_id.is_none()
        && let Some(team) = &fields.team_id
        && crm_core::teams::model::find(conn, &scope, team)?.is_some()
    {
        fields.assignee_id = crate::routing::service::pick(conn, &scope, team)?;
    }
    if fields.assignee_id.is_none() {
        fields.assignee_id = scope.default_owner(conn, RECORD_TYPE)?;
    }
    check_links(conn, &scope, &fields, None)?;
    let custom = values::for_new_record(conn, &scope, RECORD_TYPE, &id, &ticket.custom)?;
    fields.custom = custom.json;
    let external_ids = records::external_id_rows(conn, &scope, RECORD_TYPE, &id, &ticket.external_ids)?;
    let status = TicketStatus::parse(&fields.status);
    let milestones = milestones_after(&Milestones::default(), TicketStatus::New, status, None, now);
    // Late: taken in a transaction, the counter stays locked from here to its end.
    let number = match number {
        Some(number) => number,
        None => crm_core::sequence::next(conn, &scope, model::NUMBERS)?,
    };
    let stored = model::stored(&id, number, fields.clone(), milestones, now, now, 1);
    let sla = crate::sla::service::for_new(conn, &scope, &stored)?;
    let title = title(number, &fields);
    let mut writes =
        vec![model::insert(&scope, &id, number, &fields, &milestones, &sla.clone().unwrap_or_default(), now)];
    writes.extend(search_index::insert(&scope, &document(&id, &title, &fields)));
    writes.extend(records::tag_rows(&scope, RECORD_TYPE, &id, &ticket.tags));
    writes.extend(external_ids);
    writes.extend(custom.index);
    if let Some(company) = &fields.company_id {
        writes.push(crate::health::service::queued(actor, company)?);
    }
    let mut created = TicketOut::from(match &sla {
        Some(sla) => model::with_sla(stored, sla.clone()),
        None => stored,
    });
    created.custom = custom.shown;
    let planned = TICKETS.plan_created(actor, &id, created, writes);
    if sla.is_some() {
        return Ok(planned);
    }
    // A policy's conditions read the stored ticket: its SLA once it is.
    let scope = scope.unrestricted();
    Ok(planned.then(move |conn, created| match crate::sla::service::attach(conn, &scope, &created.id)? {
        true => load(conn, &scope, &created.id),
        false => Ok(created),
    }))
}

/// Tickets as the write runner takes them.
pub(crate) const TICKETS: Versioned<TicketOut> = Versioned {
    table: "tickets",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: Some(load_locked),
    version: |t| t.version,
};

/// A ticket the scope sees (404 otherwise), on the caller's connection.
pub(crate) fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<TicketOut> {
    let ticket = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("ticket"))?;
    out_of(conn, scope, ticket)
}

fn load_locked(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<TicketOut> {
    let sight = scope.sight(RECORD_TYPE, model::OWNER);
    let ticket = TICKETS.live_row(conn, scope, sight, id)?.ok_or_else(|| ApiError::not_found("ticket"))?;
    out_of(conn, scope, ticket)
}

/// A stored ticket as the API shows it (reads the definitions when it has custom values).
fn out_of(conn: &mut DbConnection, scope: &Scope, ticket: Ticket) -> ApiResult<TicketOut> {
    let mut out = TicketOut::from(ticket);
    out.custom = values::visible(conn, scope, RECORD_TYPE, out.custom)?;
    Ok(out)
}

fn shown(schema: &Schema, ticket: Ticket) -> TicketOut {
    let mut out = TicketOut::from(ticket);
    out.custom = schema.visible(out.custom);
    out
}

/// Writes what an SLA breach's escalation makes of the ticket (its priority, team and
/// assignee) with its SLA's new state (the write runner bumps the version).
pub(crate) fn store_escalation(
    conn: &mut DbConnection,
    scope: &Scope,
    ticket: &Ticket,
    fields: &TicketFields,
    sla: &crate::sla::model::TicketSla,
) -> ApiResult<()> {
    let milestones = Milestones {
        first_responded_at: ticket.first_responded_at,
        solved_at: ticket.solved_at,
        closed_at: ticket.closed_at,
        reopened_count: ticket.reopened_count,
    };
    let mut set = model::columns(fields, &milestones);
    set.extend(crate::sla::model::sla_columns(sla));
    set.push(("updated_at", crm_core::sql::Piece::Time(crm_core::time::now())));
    crm_core::sql::update_record("tickets", scope.org_id(), &ticket.id, set).execute(conn)?;
    index_fields(conn, scope, &ticket.id, ticket.number, fields)
}

/// Writes the stored ticket's search entry again (after a write outside the write runner).
pub(crate) fn index(conn: &mut DbConnection, scope: &Scope, ticket: &Ticket) -> ApiResult<()> {
    index_fields(conn, scope, &ticket.id, ticket.number, &model::fields_of(ticket))
}

fn index_fields(conn: &mut DbConnection, scope: &Scope, id: &str, number: i64, fields: &TicketFields) -> ApiResult<()> {
    let title = title(number, fields);
    search_index::put(conn, scope, &document(id, &title, fields))
}

pub(crate) fn closed(id: &str) -> ApiError {
    ApiError::conflict("ticket_closed", format!("Ticket {id} is closed: it is read-only."))
}

pub async fn create(state: &AppState, actor: &Actor, input: TicketIn) -> ApiResult<TicketOut> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let ticket = checked(input)?;
    let actor = actor.clone();
    let number = state.db.reserved_number(&actor.org_id, model::NUMBERS).await?;
    if ticket.fields.team_id.is_some() && ticket.fields.assignee_id.is_none() {
        // Routed: the team's turn stays locked until the ticket is stored, in a transaction.
        return state.db.write(move |conn| plan_create(conn, &actor, &ticket, number)?.write(conn)).await;
    }
    state.db.write_planned(move |conn| plan_create(conn, &actor, &ticket, number)).await
}

/// Creates a ticket on the caller's connection (numbered in its transaction).
pub(crate) fn create_in(conn: &mut DbConnection, actor: &Actor, input: TicketIn) -> ApiResult<TicketOut> {
    plan_create(conn, actor, &checked(input)?, None)?.write(conn)
}

/// A new ticket's input, validated and normalized.
fn checked(input: TicketIn) -> ApiResult<Normalized> {
    validator::Validate::validate(&input).map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
    normalize(input)
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<TicketOut> {
    actor.require(permissions::TICKETS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

/// An agent's queue: their unsolved tickets, the soonest resolution due first.
pub async fn queue(state: &AppState, actor: &Actor, query: super::dto::QueueQuery) -> ApiResult<Vec<TicketOut>> {
    actor.require(permissions::TICKETS, Action::Read)?;
    let assignee = query.assignee_id.unwrap_or_else(|| actor.user_id.clone());
    let limit = query.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", "limit is 1 to 100."));
    }
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let rows = model::queue(conn, &scope, &assignee, limit)?;
            let schema = Schema::load(conn, &scope, RECORD_TYPE)?;
            Ok(rows.into_iter().map(|t| shown(&schema, t)).collect())
        })
        .await
}

pub async fn list(state: &AppState, actor: &Actor, query: TicketsQuery) -> ApiResult<Page<TicketOut>> {
    actor.require(permissions::TICKETS, Action::Read)?;
    let paging = query.paging();
    let filter = crm_core::filter::from_query(query.filter.as_deref())?;
    let filters = Filters {
        status: query.status.map(|s| s.as_str().to_string()),
        priority: query.priority.map(|p| p.as_str().to_string()),
        assignee_id: query.assignee_id,
        team_id: query.team_id,
        requester_id: query.requester_id,
        company_id: query.company_id,
        tag: query.tag,
    };
    page_of(state, actor, SearchRequest::of_list(filter, paging), filters).await
}

/// Lists the tickets matching a filter in the filter language and/or free text.
pub async fn search(state: &AppState, actor: &Actor, request: SearchRequest) -> ApiResult<Page<TicketOut>> {
    actor.require(permissions::TICKETS, Action::Read)?;
    page_of(state, actor, request, Filters::default()).await
}

async fn page_of(
    state: &AppState,
    actor: &Actor,
    request: SearchRequest,
    filters: Filters,
) -> ApiResult<Page<TicketOut>> {
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let load =
                |conn: &mut DbConnection, conditions, plan: &_| model::list(conn, &scope, &filters, conditions, plan);
            model::LISTING.page(conn, &scope, &request, load, shown)
        })
        .await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: TicketPatch,
    if_match: Option<i64>,
) -> ApiResult<TicketOut> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TICKETS.update_named(conn, &actor, &id, if_match, |conn, before| {
                let mut draft = TicketIn::from(before.clone());
                apply(&mut draft, patch, before)?;
                edit(conn, &actor, draft, before, None)
            })
        })
        .await
}

/// Writes what `draft` makes of the locked ticket `before` (`responded`: an agent's public
/// reply goes with it), and names the event: `status_changed` when its status moved,
/// `assigned` when its assignee or team did, else `updated`.
pub(crate) fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    draft: TicketIn,
    before: &TicketOut,
    responded: Option<NaiveDateTime>,
) -> ApiResult<(Edit<TicketOut>, &'static str)> {
    if before.status == TicketStatus::Closed {
        return Err(closed(&before.id));
    }
    validator::Validate::validate(&draft).map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
    let ticket = normalize(draft)?;
    let current = normalize(TicketIn::from(before.clone()))?;
    let (from, to) = (before.status, TicketStatus::parse(&ticket.fields.status));
    if !from.may_become(to) {
        return Err(ApiError::invalid_field(
            "/status",
            "invalid_transition",
            format!("a {} ticket cannot become {}", from.as_str(), to.as_str()),
        ));
    }
    let now = crm_core::time::now();
    let milestones = milestones_after(&milestones_of(before), from, to, responded, now);
    if current.fields == ticket.fields && current.custom == ticket.custom && milestones == milestones_of(before) {
        return Ok((Edit::Unchanged, "updated"));
    }
    let scope = actor.scope();
    check_links(conn, &scope, &ticket.fields, Some(before))?;
    let mut fields = ticket.fields.clone();
    let stored = serde_json::to_string(&before.custom)?;
    (fields.custom, _) = values::store(conn, &scope, RECORD_TYPE, &before.id, &ticket.custom, Some(&stored))?;
    let mut set = model::columns(&fields, &milestones);
    set.push(("updated_at", crm_core::sql::Piece::Time(now)));
    crm_core::sql::update_record("tickets", scope.org_id(), &before.id, set).execute(conn)?;
    index_fields(conn, &scope, &before.id, before.number, &fields)?;
    if ticket.tags != before.tags {
        records::set_tags(conn, &scope, RECORD_TYPE, &before.id, &ticket.tags)?;
    }
    if ticket.external_ids != before.external_ids {
        records::set_external_ids(conn, &scope, RECORD_TYPE, &before.id, &ticket.external_ids)?;
    }
    crate::sla::service::attach(conn, &scope, &before.id)?;
    if to == TicketStatus::Solved && from != TicketStatus::Solved {
        crate::survey::service::queue_csat(conn, actor, &before.id)?;
    }
    let action = if from != to {
        "status_changed"
    } else if current.fields.assignee_id != fields.assignee_id || current.fields.team_id != fields.team_id {
        "assigned"
    } else {
        "updated"
    };
    Ok((Edit::Changed, action))
}

fn apply(draft: &mut TicketIn, patch: TicketPatch, before: &TicketOut) -> ApiResult<()> {
    if before.status == TicketStatus::Closed {
        return Err(closed(&before.id));
    }
    for (given, pointer) in [
        (patch.subject == Patch::Null, "/subject"),
        (patch.status == Patch::Null, "/status"),
        (patch.priority == Patch::Null, "/priority"),
        (patch.channel == Patch::Null, "/channel"),
    ] {
        if given {
            return Err(ApiError::invalid_field(pointer, "required", "cannot be null"));
        }
    }
    if let Patch::Value(subject) = patch.subject {
        draft.subject = subject;
    }
    patch.description.apply_to(&mut draft.description);
    patch.status.apply_to(&mut draft.status);
    patch.priority.apply_to(&mut draft.priority);
    patch.channel.apply_to(&mut draft.channel);
    patch.requester_id.apply_to(&mut draft.requester_id);
    patch.company_id.apply_to(&mut draft.company_id);
    patch.assignee_id.apply_to(&mut draft.assignee_id);
    patch.team_id.apply_to(&mut draft.team_id);
    patch.tags.apply_to(&mut draft.tags);
    patch.external_ids.apply_to(&mut draft.external_ids);
    values::apply_patch(&mut draft.custom, patch.custom);
    Ok(())
}

/// Sets on `base` every field `input` gives (the subject always: it is required).
fn overlay(base: &mut TicketIn, input: TicketIn) {
    macro_rules! given {
        ($($field:ident),*) => {$(if input.$field.is_some() { base.$field = input.$field; })*};
    }
    base.subject = input.subject;
    given!(description, status, priority, channel, requester_id, company_id, assignee_id, team_id, tags);
    // Ids in other systems add up: an upsert by one source keeps the ticket's ids of the others.
    if let Some(ids) = input.external_ids {
        base.external_ids.get_or_insert_default().extend(ids);
    }
    if let Some(custom) = input.custom {
        values::merge(base.custom.get_or_insert_default(), custom);
    }
}

/// Sets on the ticket every field `input` gives: the ticket as it is, and whether it changed.
fn overlay_in(conn: &mut DbConnection, actor: &Actor, id: &str, input: TicketIn) -> ApiResult<(TicketOut, bool)> {
    let mut version = 0;
    let updated = TICKETS.update_named(conn, actor, id, None, |conn, before| {
        version = before.version;
        let mut draft = TicketIn::from(before.clone());
        overlay(&mut draft, input);
        edit(conn, actor, draft, before, None)
    })?;
    let changed = updated.version != version;
    Ok((updated, changed))
}

/// Creates, updates or upserts up to 1,000 tickets: each input rolls back alone when it fails,
/// or all of them together when `atomic`.
pub async fn batch(state: &AppState, actor: &Actor, request: TicketBatchRequest) -> ApiResult<BatchResponse> {
    actor.require(permissions::TICKETS, Action::Write)?;
    crm_core::batch::check_size(request.inputs.len())?;
    let rule = MatchOn::of_request(request.match_on.as_deref(), request.mode)?;
    if matches!(rule, Some(MatchOn::Email)) {
        return Err(ApiError::invalid_field(
            "/match_on",
            "invalid_match",
            "tickets match on id or external_id:<source>",
        ));
    }
    let (mode, atomic) = (request.mode, request.atomic);
    let actor = actor.clone();
    let outcomes = state
        .db
        .write(move |conn| {
            let outcomes = crm_core::batch::each(conn, request.inputs, atomic, |conn, input| {
                validator::Validate::validate(&input.properties)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let scope = actor.scope();
                let matched = match (&rule, mode) {
                    (Some(MatchOn::Id), BatchMode::Update | BatchMode::Upsert) => match &input.id {
                        Some(id) => model::find(conn, &scope, id)?.map(|t| t.id),
                        None => {
                            return Err(ApiError::invalid_field("/id", "required", "match_on id needs the input's id"));
                        }
                    },
                    (Some(MatchOn::ExternalId(source)), BatchMode::Update | BatchMode::Upsert) => {
                        match input.properties.external_ids.as_ref().and_then(|ids| ids.get(source)) {
                            Some(external_id) => {
                                records::find_by_external_id(conn, &scope, RECORD_TYPE, source, external_id)?
                            }
                            None => None,
                        }
                    }
                    _ => None,
                };
                Ok(match (matched, mode) {
                    (None, BatchMode::Update) => Outcome::Unmatched,
                    (None, _) => Outcome::Created(create_in(conn, &actor, input.properties)?.id),
                    (Some(id), _) => match overlay_in(conn, &actor, &id, input.properties)? {
                        (ticket, true) => Outcome::Updated(ticket.id),
                        (ticket, false) => Outcome::Unchanged(ticket.id),
                    },
                })
            })?;
            if atomic && let Some(failed) = crm_core::batch::atomic_failure(&outcomes) {
                return Err(failed);
            }
            Ok(outcomes)
        })
        .await?;
    Ok(crm_core::batch::response(outcomes, "ticket"))
}

/// Creates the ticket holding `source:external_id`, or sets the fields given on it: 201 when
/// created (`true`), 200 when updated.
pub async fn upsert_by_external_id(
    state: &AppState,
    actor: &Actor,
    source: String,
    external_id: String,
    input: TicketIn,
) -> ApiResult<(TicketOut, bool)> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let mut ids = BTreeMap::from([(source.clone(), external_id.clone())]);
    records::check_external_ids(&ids, "/external_ids")?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            match records::find_by_external_id(conn, &scope, RECORD_TYPE, &source, &external_id)? {
                Some(id) => {
                    let mut input = input;
                    input.external_ids.get_or_insert_default().insert(source, external_id);
                    Ok((overlay_in(conn, &actor, &id, input)?.0, false))
                }
                None => {
                    let mut input = input;
                    // The path's id wins over the body's for the same source.
                    let mut given = input.external_ids.take().unwrap_or_default();
                    given.append(&mut ids);
                    input.external_ids = Some(given);
                    Ok((create_in(conn, &actor, input)?, true))
                }
            }
        })
        .await
}

/// Moves a ticket to the trash.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TICKETS.delete(conn, &actor, &id, if_match, |conn, _| {
                let scope = actor.scope();
                TICKETS.set_trashed(conn, &scope, &id, true)?;
                search_index::remove(conn, &scope, &id)?;
                records::set_external_ids(conn, &scope, RECORD_TYPE, &id, &BTreeMap::new())
            })?;
            Ok(())
        })
        .await
}

/// Brings a ticket back from the trash (409 when another ticket took one of its external ids).
pub async fn restore(state: &AppState, actor: &Actor, id: String) -> ApiResult<TicketOut> {
    actor.require(permissions::TICKETS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TICKETS.restore(conn, &actor, &id, |conn, scope| {
                let trashed =
                    model::find_deleted(conn, scope, &id)?.ok_or_else(|| ApiError::not_found("deleted ticket"))?;
                let fields = model::fields_of(&trashed);
                let external_ids: BTreeMap<String, String> =
                    serde_json::from_str(&fields.external_ids).unwrap_or_default();
                records::set_external_ids(conn, scope, RECORD_TYPE, &id, &external_ids)?;
                index_fields(conn, scope, &id, trashed.number, &fields)
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::*;

    #[test]
    fn statuses_move_forward_and_closed_is_final() {
        assert!(New.may_become(Open) && Open.may_become(Pending) && Pending.may_become(Solved));
        assert!(Solved.may_become(Open) && Solved.may_become(Closed) && OnHold.may_become(Open));
        assert!(!Open.may_become(New) && !Open.may_become(Closed) && !Pending.may_become(Closed));
        assert!(!Closed.may_become(Open) && !Solved.may_become(Pending) && Closed.may_become(Closed));
    }
}
