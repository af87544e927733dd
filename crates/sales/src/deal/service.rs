//! Deal use cases: each one transaction, with its audit row and event. A deal's stage decides
//! its status (the stage's kind); moving it records its stage history and names the event
//! (`deal.stage_changed`, `deal.won`, `deal.lost`, `deal.reopened`).

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDateTime;
use crm_core::auth::{Action, Actor};
use crm_core::custom_fields::{Schema, values};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::filter::SearchRequest;
use crm_core::http::{Page, Patch, trimmed};
use crm_core::money::Money;
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use crm_core::state::AppState;
use crm_core::write::{Edit, Planned, Versioned};
use crm_core::{records, search_index};
use serde_json::{Map, Value};

use super::dto::{
    Board, BoardColumn, BoardQuery, DealContact, DealIn, DealLines, DealLinesIn, DealOut, DealPatch, DealsQuery,
    ForecastCategory, LoseIn, StageHistory, StageVisit, Summary, SummaryQuery, Totals, WinIn,
};
use super::model::{self, Deal, DealFields, Filters, RECORD_TYPE};
use super::totals::{self, Counted};
use crate::line_item;
use crate::permissions;
use crate::pipeline::dto::{StageKind, StageOut};
use crate::pipeline::model::{self as pipelines, Stage};

/// A deal as given, checked on its own (before the stored data is consulted).
pub(crate) struct Normalized {
    name: String,
    amount: Option<crm_core::money::Money>,
    close_date: Option<String>,
    pipeline_id: Option<String>,
    stage_id: Option<String>,
    owner_id: Option<String>,
    company_id: Option<String>,
    contacts: Vec<(String, Option<String>)>,
    source: Option<String>,
    lost_reason: Option<String>,
    next_step: Option<String>,
    forecast_category: Option<ForecastCategory>,
    /// As given: checked against the custom field definitions when stored.
    custom: Map<String, Value>,
    tags: Vec<String>,
    external_ids: BTreeMap<String, String>,
}

pub(crate) fn normalize(input: DealIn) -> ApiResult<Normalized> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::new("/name", "required", "a deal needs a name"));
    }
    if let Some(amount) = &input.amount
        && let Err(e) = amount.check("/amount")
    {
        errors.extend(e.errors);
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
    let mut seen = HashSet::new();
    let mut contacts = Vec::new();
    for (i, contact) in input.contacts.unwrap_or_default().into_iter().enumerate() {
        let id = contact.contact_id.trim().to_string();
        if !seen.insert(id.clone()) {
            errors.push(FieldError::new(
                format!("/contacts/{i}/contact_id"),
                "duplicate",
                "a contact is on a deal once",
            ));
        }
        contacts.push((id, trimmed(contact.role)));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Normalized {
        name,
        amount: input.amount,
        close_date: input.close_date.map(|d| d.format("%Y-%m-%d").to_string()),
        pipeline_id: trimmed(input.pipeline_id),
        stage_id: trimmed(input.stage_id),
        owner_id: trimmed(input.owner_id),
        company_id: trimmed(input.company_id),
        contacts,
        source: trimmed(input.source),
        lost_reason: trimmed(input.lost_reason),
        next_step: trimmed(input.next_step),
        forecast_category: input.forecast_category,
        custom: input.custom.unwrap_or_default(),
        tags,
        external_ids,
    })
}

/// What placing a deal in an organization without pipelines is (`create` makes the default
/// pipeline then).
const NO_PIPELINE: &str = "no_pipeline";

fn no_pipeline() -> ApiError {
    ApiError::invalid_field("/pipeline_id", NO_PIPELINE, "the organization has no pipeline yet")
}

/// The stage a deal goes to: the one named, else the first open stage of the pipeline named,
/// else of the organization's first pipeline (created with its first deal). The pipeline is
/// held (see [`pipelines::hold`]) before its stages are read, so the stage cannot go before the
/// deal is in it.
fn placement(conn: &mut DbConnection, scope: &Scope, deal: &Normalized) -> ApiResult<Stage> {
    let unknown_stage = || ApiError::invalid_field("/stage_id", "unknown_stage", "not a stage of the organization");
    let pipeline_id = match (&deal.stage_id, &deal.pipeline_id) {
        (Some(stage_id), given) => {
            let pipeline_id = pipelines::hold_of_stage(conn, scope, stage_id)?.ok_or_else(unknown_stage)?;
            if given.as_ref().is_some_and(|p| *p != pipeline_id) {
                return Err(ApiError::invalid_field(
                    "/stage_id",
                    "stage_not_in_pipeline",
                    "not a stage of pipeline_id",
                ));
            }
            pipeline_id
        }
        (None, given) => {
            let pipeline_id = match given {
                Some(pipeline_id) => pipeline_id.clone(),
                None => pipelines::default_id(conn, scope)?.ok_or_else(no_pipeline)?,
            };
            pipelines::hold(conn, scope, &pipeline_id)?;
            pipeline_id
        }
    };
    let stages = pipelines::stages_of(conn, scope, &[&pipeline_id])?;
    if stages.is_empty() {
        return Err(ApiError::invalid_field("/pipeline_id", "unknown_pipeline", "not a pipeline of the organization"));
    }
    let stage = match &deal.stage_id {
        Some(stage_id) => stages.into_iter().find(|s| s.id == *stage_id).ok_or_else(unknown_stage)?,
        None => stages.into_iter().find(|s| s.kind == StageKind::Open.as_str()).ok_or_else(unknown_stage)?,
    };
    Ok(stage)
}

/// The deal's fields as stored, checked against the stored data (stage, owner, company,
/// contacts), given what it was (`before`, none for a new deal) and when (`now`).
fn checked(
    conn: &mut DbConnection,
    actor: &Actor,
    deal: &Normalized,
    before: Option<&DealOut>,
    now: NaiveDateTime,
) -> ApiResult<(DealFields, Stage)> {
    let scope = actor.scope();
    let stage = placement(conn, &scope, deal)?;
    // A new deal without an owner goes to its company's territory's owner, or the default.
    let territory_owner = match (&deal.owner_id, before, &deal.company_id) {
        (None, None, Some(company)) => crate::territory::service::owner_for(conn, &scope, company)?,
        _ => None,
    };
    // A rep who sees only some deals keeps the deal they create in sight: theirs.
    let owner_id = match &deal.owner_id {
        None if before.is_none() => scope.default_owner(conn, RECORD_TYPE)?.or(territory_owner),
        owner => owner.clone(),
    };
    // Only what changes is checked: a deal whose company went to the trash (or whose owner was
    // deactivated) still moves, wins and loses.
    if let Some(owner) = owner_id.as_ref().filter(|o| before.is_none_or(|b| b.owner_id.as_ref() != Some(*o))) {
        crm_core::users::model::check_owner(conn, &scope, owner)?;
    }
    let everything = scope.unrestricted();
    if let Some(company) = deal.company_id.as_ref().filter(|c| before.is_none_or(|b| b.company_id.as_ref() != Some(*c)))
        && crm_contacts::company::model::find(conn, &everything, company)?.is_none()
    {
        return Err(ApiError::invalid_field("/company_id", "unknown_company", "must be a company of the organization"));
    }
    for (i, (contact, _)) in deal.contacts.iter().enumerate() {
        let kept = before.is_some_and(|b| b.contacts.iter().any(|c| c.contact_id == *contact));
        if !kept && crm_contacts::contact::model::find(conn, &everything, contact)?.is_none() {
            return Err(ApiError::invalid_field(
                &format!("/contacts/{i}/contact_id"),
                "unknown_contact",
                "must be a contact of the organization",
            ));
        }
    }
    let status = stage.kind.clone();
    let lost_reason = if status == "lost" { deal.lost_reason.clone() } else { None };
    if status == "lost" && lost_reason.is_none() {
        return Err(ApiError::invalid_field("/lost_reason", "required", "a lost deal needs a reason"));
    }
    let forecast_category = match status.as_str() {
        "won" => ForecastCategory::Closed,
        "lost" => ForecastCategory::Omitted,
        _ => match deal.forecast_category {
            None | Some(ForecastCategory::Closed | ForecastCategory::Omitted) => ForecastCategory::Pipeline,
            Some(category) => category,
        },
    };
    let same_stage = before.is_some_and(|b| b.stage_id == stage.id);
    let stage_entered_at = match before {
        Some(b) if same_stage => b.stage_entered_at,
        _ => now,
    };
    let closed_at = match before {
        _ if status == "open" => None,
        Some(b) if b.status.as_str() == status => b.closed_at,
        _ => Some(now),
    };
    // A deal closes on a day: the expected day, or the day it closed.
    let close_date = match &deal.close_date {
        None if status != "open" => Some(now.date().format("%Y-%m-%d").to_string()),
        given => given.clone(),
    };
    let fields = DealFields {
        name: deal.name.clone(),
        amount: deal.amount.as_ref().map(|m| m.amount),
        currency: deal.amount.as_ref().map(|m| m.currency.clone()),
        close_date,
        pipeline_id: stage.pipeline_id.clone(),
        stage_id: stage.id.clone(),
        status,
        owner_id,
        company_id: deal.company_id.clone(),
        source: deal.source.clone(),
        lost_reason,
        next_step: deal.next_step.clone(),
        forecast_category: forecast_category.as_str().to_string(),
        stage_entered_at,
        closed_at,
        tags: serde_json::to_string(&deal.tags)?,
        external_ids: serde_json::to_string(&deal.external_ids)?,
        custom: String::new(),
    };
    Ok((fields, stage))
}

/// Whether the deal as checked is the deal as it was.
fn unchanged(fields: &DealFields, deal: &Normalized, before: &DealOut) -> bool {
    let amount = before.amount.as_ref();
    fields.name == before.name
        && fields.amount == amount.map(|m| m.amount)
        && fields.currency.as_ref() == amount.map(|m| &m.currency)
        && fields.close_date == before.close_date
        && fields.pipeline_id == before.pipeline_id
        && fields.stage_id == before.stage_id
        && fields.owner_id == before.owner_id
        && fields.company_id == before.company_id
        && fields.source == before.source
        && fields.lost_reason == before.lost_reason
        && fields.next_step == before.next_step
        && fields.forecast_category == before.forecast_category.as_str()
        && deal.tags == before.tags
        && deal.external_ids == before.external_ids
        && contacts_out(&deal.contacts) == before.contacts
        && deal.custom == before.custom
}

/// The event a change of a deal is: what happened to its stage decides.
fn action(before: &DealOut, after: &DealFields) -> &'static str {
    match (before.status.as_str(), after.status.as_str()) {
        (from, "won") if from != "won" => "won",
        (from, "lost") if from != "lost" => "lost",
        ("won" | "lost", "open") => "reopened",
        _ if before.stage_id != after.stage_id => "stage_changed",
        _ => "updated",
    }
}

/// A deal's search document.
fn document<'a>(id: &'a str, name: &'a str, owner_id: Option<&'a str>) -> search_index::Document<'a> {
    search_index::Document {
        record_type: RECORD_TYPE,
        record_id: id,
        title: name,
        subtitle: None,
        texts: vec![name],
        phones: Vec::new(),
        owner_id,
    }
}

/// A deal's creation, worked out by reads alone: its row, stage-history row, people, search
/// words, tags, external ids and custom value index go with its audit row and event.
fn plan_create(conn: &mut DbConnection, actor: &Actor, deal: &Normalized) -> ApiResult<Planned<DealOut>> {
    let (id, scope, now) = (crm_core::id::new_id(model::ID_PREFIX), actor.scope(), crm_core::time::now());
    let (mut fields, stage) = checked(conn, actor, deal, None, now)?;
    let custom = values::for_new_record(conn, &scope, RECORD_TYPE, &id, &deal.custom)?;
    fields.custom = custom.json;
    let external_ids = records::external_id_rows(conn, &scope, RECORD_TYPE, &id, &deal.external_ids)?;
    let mut writes = vec![
        model::insert(&scope, &id, &fields, now),
        model::entered(&scope, &id, &fields.pipeline_id, &fields.stage_id, now),
    ];
    writes.extend(model::contact_rows(&scope, &id, &deal.contacts));
    writes.extend(search_index::insert(&scope, &document(&id, &fields.name, fields.owner_id.as_deref())));
    writes.extend(records::tag_rows(&scope, RECORD_TYPE, &id, &deal.tags));
    writes.extend(external_ids);
    writes.extend(custom.index);
    writes.extend(totals::change(scope.org_id(), None, Some(Counted::of_fields(&fields))));
    let mut created = DealOut::of(model::inserted(&id, fields, now), stage.probability, contacts_out(&deal.contacts));
    created.custom = custom.shown;
    Ok(DEALS.plan_created(actor, &id, created, writes))
}

/// The people on a deal as it is read back: written together, they come back by contact id.
fn contacts_out(contacts: &[(String, Option<String>)]) -> Vec<DealContact> {
    let mut people: Vec<DealContact> = contacts
        .iter()
        .map(|(contact_id, role)| DealContact { contact_id: contact_id.clone(), role: role.clone() })
        .collect();
    people.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
    people
}

/// Statements to send in one (see [`Edit::Saved`]).
type Writes = Vec<Vec<Piece>>;

/// What goes with an existing deal's change (its row is the write runner's): custom values,
/// search words, tags, external ids and people are written here; the running totals and, when
/// it moved, its stage history are returned, for the runner to send with its row. Sets the
/// stored custom values in `fields`; returns them as shown, and those writes.
fn store(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    deal: &Normalized,
    fields: &mut DealFields,
    before: &DealOut,
) -> ApiResult<(Map<String, Value>, Writes)> {
    let stored = serde_json::to_string(&before.custom)?;
    let shown;
    (fields.custom, shown) = values::store(conn, scope, RECORD_TYPE, id, &deal.custom, Some(&stored))?;
    // The search words are the name's, filed under the owner: a move leaves them as they are.
    if fields.name != before.name || fields.owner_id != before.owner_id {
        search_index::put(conn, scope, &document(id, &fields.name, fields.owner_id.as_deref()))?;
    }
    if deal.tags != before.tags {
        records::set_tags(conn, scope, RECORD_TYPE, id, &deal.tags)?;
    }
    if deal.external_ids != before.external_ids {
        records::set_external_ids(conn, scope, RECORD_TYPE, id, &deal.external_ids)?;
    }
    if contacts_out(&deal.contacts) != before.contacts {
        model::set_contacts(conn, scope, id, &deal.contacts)?;
    }
    let mut writes: Writes =
        totals::change(scope.org_id(), Some(Counted::of_out(before)), Some(Counted::of_fields(fields)))
            .into_iter()
            .collect();
    if fields.stage_id != before.stage_id {
        writes.push(model::exited(scope, id, fields.stage_entered_at));
        writes.push(model::entered(scope, id, &fields.pipeline_id, &fields.stage_id, fields.stage_entered_at));
    }
    Ok((shown, writes))
}

/// Deals as the write runner takes them.
pub(crate) const DEALS: Versioned<DealOut> = Versioned {
    table: "deals",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: Some(load_locked),
    version: |d| d.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<DealOut> {
    let deal = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("deal"))?;
    out_of(conn, scope, deal)
}

fn load_locked(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<DealOut> {
    let sight = scope.sight(RECORD_TYPE, model::OWNER);
    let deal = DEALS.live_row(conn, scope, sight, id)?.ok_or_else(|| ApiError::not_found("deal"))?;
    out_of(conn, scope, deal)
}

/// A stored deal as the API shows it (reads the definitions when it has custom values).
fn out_of(conn: &mut DbConnection, scope: &Scope, deal: Deal) -> ApiResult<DealOut> {
    let mut out = shown_all(conn, scope, vec![deal])?.pop().ok_or_else(|| ApiError::not_found("deal"))?;
    out.custom = values::visible(conn, scope, RECORD_TYPE, out.custom)?;
    Ok(out)
}

/// Deals as the API shows them: with their stage's probability and their people (two queries
/// for all of them).
fn shown_all(conn: &mut DbConnection, scope: &Scope, deals: Vec<Deal>) -> ApiResult<Vec<DealOut>> {
    if deals.is_empty() {
        return Ok(Vec::new());
    }
    let stage_ids: Vec<&str> = deals.iter().map(|d| d.stage_id.as_str()).collect();
    let probabilities = model::probabilities(conn, scope, &stage_ids)?;
    shown_with(conn, scope, deals, &probabilities)
}

/// [`shown_all`] given the probabilities of their stages.
fn shown_with(
    conn: &mut DbConnection,
    scope: &Scope,
    deals: Vec<Deal>,
    probabilities: &[(String, i32)],
) -> ApiResult<Vec<DealOut>> {
    if deals.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = deals.iter().map(|d| d.id.as_str()).collect();
    let contacts = model::contacts_of(conn, scope, &ids)?;
    Ok(deals
        .into_iter()
        .map(|d| {
            let probability = probabilities.iter().find(|(s, _)| *s == d.stage_id).map_or(0, |(_, p)| *p);
            let people = contacts
                .iter()
                .filter(|(deal, _, _)| *deal == d.id)
                .map(|(_, contact_id, role)| DealContact { contact_id: contact_id.clone(), role: role.clone() })
                .collect();
            DealOut::of(d, probability, people)
        })
        .collect())
}

/// A page of deals as the API shows them (values of archived custom fields hidden).
fn shown_page(conn: &mut DbConnection, scope: &Scope, page: Page<(Schema, Deal)>) -> ApiResult<Page<DealOut>> {
    let Page { data, has_more, next_cursor } = page;
    let schema = data.first().map(|(schema, _)| schema.clone());
    let rows: Vec<Deal> = data.into_iter().map(|(_, d)| d).collect();
    let mut shown = shown_all(conn, scope, rows)?;
    if let Some(schema) = schema {
        for deal in &mut shown {
            deal.custom = schema.visible(std::mem::take(&mut deal.custom));
        }
    }
    Ok(Page { data: shown, has_more, next_cursor })
}

pub async fn create(state: &AppState, actor: &Actor, input: DealIn) -> ApiResult<DealOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let deal = normalize(input)?;
    let actor = actor.clone();
    // In a transaction (not `write_planned`, whose plan reads outside one on PostgreSQL), so the
    // pipeline's share lock holds the stage as read until the deal is in it.
    state.db.write(move |conn| create_in_normalized(conn, &actor, &deal)).await
}

/// Creates a deal on the caller's connection (a converted lead's), with the organization's
/// default pipeline when it has none yet.
pub(crate) fn create_in(conn: &mut DbConnection, actor: &Actor, input: DealIn) -> ApiResult<DealOut> {
    create_in_normalized(conn, actor, &normalize(input)?)
}

fn create_in_normalized(conn: &mut DbConnection, actor: &Actor, deal: &Normalized) -> ApiResult<DealOut> {
    match plan_create(conn, actor, deal) {
        // The organization's first deal: its default pipeline first.
        Err(e) if e.errors.iter().any(|f| f.code == NO_PIPELINE) => {
            crate::pipeline::service::default_pipeline(conn, actor)?;
            plan_create(conn, actor, deal)?.write(conn)
        }
        planned => planned?.write(conn),
    }
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<DealOut> {
    actor.require(permissions::DEALS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: DealsQuery) -> ApiResult<Page<DealOut>> {
    actor.require(permissions::DEALS, Action::Read)?;
    let paging = query.paging();
    let filter = crm_core::filter::from_query(query.filter.as_deref())?;
    let filters = Filters {
        pipeline_id: query.pipeline_id,
        stage_id: query.stage_id,
        status: query.status.map(|s| s.as_str().to_string()),
        owner_id: query.owner_id,
        company_id: query.company_id,
        contact_id: query.contact_id,
        tag: query.tag,
    };
    page_of(state, actor, SearchRequest::of_list(filter, paging), filters).await
}

/// Lists the deals matching a filter in the filter language and/or free text.
pub async fn search(state: &AppState, actor: &Actor, request: SearchRequest) -> ApiResult<Page<DealOut>> {
    actor.require(permissions::DEALS, Action::Read)?;
    page_of(state, actor, request, Filters::default()).await
}

async fn page_of(
    state: &AppState,
    actor: &Actor,
    request: SearchRequest,
    filters: Filters,
) -> ApiResult<Page<DealOut>> {
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let load =
                |conn: &mut DbConnection, conditions, plan: &_| model::list(conn, &scope, &filters, conditions, plan);
            let page = model::LISTING.page(conn, &scope, &request, load, |schema, d| (schema.clone(), d))?;
            shown_page(conn, &scope, page)
        })
        .await
}

/// Where an update sends the deal when it is won or lost by its own endpoint.
enum Target {
    /// Wherever the patch says (a new `stage_id` or `pipeline_id`).
    Patched,
    /// The named stage, or the pipeline's first stage of this kind.
    Closed(StageKind),
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: DealPatch,
    if_match: Option<i64>,
) -> ApiResult<DealOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state.db.write(move |conn| write_update(conn, &actor, &id, if_match, patch, Target::Patched)).await
}

/// Gives a deal another owner on the caller's connection (a territory's alignment).
pub(crate) fn reassign(conn: &mut DbConnection, actor: &Actor, id: &str, owner: &str) -> ApiResult<()> {
    let patch = DealPatch { owner_id: Patch::Value(owner.to_string()), ..DealPatch::default() };
    write_update(conn, actor, id, None, patch, Target::Patched).map(|_| ())
}

/// Moves the deal to a won stage.
pub async fn win(
    state: &AppState,
    actor: &Actor,
    id: String,
    input: WinIn,
    if_match: Option<i64>,
) -> ApiResult<DealOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let patch = DealPatch { stage_id: input.stage_id.map_or(Patch::Absent, Patch::Value), ..DealPatch::default() };
    let actor = actor.clone();
    state.db.write(move |conn| write_update(conn, &actor, &id, if_match, patch, Target::Closed(StageKind::Won))).await
}

/// Moves the deal to a lost stage, with the reason.
pub async fn lose(
    state: &AppState,
    actor: &Actor,
    id: String,
    input: LoseIn,
    if_match: Option<i64>,
) -> ApiResult<DealOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let reason = input.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::invalid_field("/reason", "required", "say why the deal was lost"));
    }
    let patch = DealPatch {
        stage_id: input.stage_id.map_or(Patch::Absent, Patch::Value),
        lost_reason: Patch::Value(reason),
        ..DealPatch::default()
    };
    let actor = actor.clone();
    state.db.write(move |conn| write_update(conn, &actor, &id, if_match, patch, Target::Closed(StageKind::Lost))).await
}

fn write_update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    if_match: Option<i64>,
    patch: DealPatch,
    target: Target,
) -> ApiResult<DealOut> {
    DEALS.update_named(conn, actor, id, if_match, |conn, before| {
        if patch.amount != Patch::Absent && line_item::model::any_of(conn, &actor.scope(), RECORD_TYPE, id)? {
            return Err(ApiError::invalid_field(
                "/amount",
                "amount_from_lines",
                "the deal has line items: its amount is their total; PUT its line items",
            ));
        }
        edit(conn, actor, id, before, patch, target, false)
    })
}

/// Writes what `patch` makes of the locked deal `before`; `changed` says something beside its
/// row changed already (its lines), which counts as a change even when the row does not.
fn edit(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    before: &DealOut,
    mut patch: DealPatch,
    target: Target,
    changed: bool,
) -> ApiResult<(Edit<DealOut>, &'static str)> {
    let scope = actor.scope();
    if let Target::Closed(kind) = target {
        let named = match &patch.stage_id {
            Patch::Value(stage) => Some(stage.as_str()),
            _ => None,
        };
        patch.stage_id = Patch::Value(closing_stage(conn, &scope, &before.pipeline_id, named, kind)?);
    }
    let mut draft = DealIn::from(before.clone());
    apply(&mut draft, patch, before)?;
    let deal = normalize(draft)?;
    let now = crm_core::time::now();
    let (mut fields, stage) = checked(conn, actor, &deal, Some(before), now)?;
    if unchanged(&fields, &deal, before) && !changed {
        return Ok((Edit::Unchanged, "updated"));
    }
    let action = action(before, &fields);
    let (custom, writes) = store(conn, &scope, id, &deal, &mut fields, before)?;
    // The deal as its row now says, one version more: the runner writes the row with the
    // version, the totals, the history, the audit row and the event, and reads nothing again.
    let row = model::updated_row(&fields, now);
    let mut stored = model::inserted(id, fields, now);
    (stored.created_at, stored.version) = (before.created_at, before.version + 1);
    let mut after = DealOut::of(stored, stage.probability, contacts_out(&deal.contacts));
    after.custom = custom;
    Ok((Edit::Saved { after, row, writes }, action))
}

/// A deal's lines, priced in its amount's currency.
pub async fn lines(state: &AppState, actor: &Actor, id: String) -> ApiResult<DealLines> {
    actor.require(permissions::DEALS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| lines_of(conn, &scope, &id)).await
}

fn lines_of(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<DealLines> {
    let deal = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("deal"))?;
    let currency = deal.currency.clone().unwrap_or_default();
    let (_, lines, totals) = line_item::service::shown(conn, scope, RECORD_TYPE, &[(id, currency.as_str())])?
        .pop()
        .ok_or_else(|| ApiError::not_found("deal"))?;
    Ok(DealLines { deal_id: deal.id, deal_version: deal.version, lines, totals })
}

/// Replaces a deal's lines; with lines, the deal's amount becomes their total (one deal
/// version, `deal.updated`).
pub async fn set_lines(
    state: &AppState,
    actor: &Actor,
    id: String,
    input: DealLinesIn,
    if_match: Option<i64>,
) -> ApiResult<DealLines> {
    actor.require(permissions::DEALS, Action::Write)?;
    if let Some(currency) = &input.currency {
        crm_core::money::check_currency(currency, "/currency")?;
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            DEALS.update_named(conn, &actor, &id, if_match, |conn, before| {
                let currency =
                    input.currency.or(before.amount.as_ref().map(|a| a.currency.clone())).ok_or_else(|| {
                        ApiError::invalid_field("/currency", "required", "the deal has no amount: say which currency")
                    })?;
                let priced = line_item::service::priced(
                    conn,
                    &scope,
                    &id,
                    &currency,
                    input.price_book_id.as_deref(),
                    &input.lines,
                    "/lines",
                )?;
                let current = line_item::model::of(conn, &scope, RECORD_TYPE, &[&id])?;
                let changed = priced != current;
                if changed {
                    line_item::model::replace(conn, &scope, RECORD_TYPE, &id, &priced)?;
                }
                let amount = match priced.is_empty() {
                    true => Patch::Absent,
                    false => Patch::Value(Money { amount: priced.iter().map(|l| l.total).sum(), currency }),
                };
                let patch = DealPatch { amount, ..DealPatch::default() };
                edit(conn, &actor, &id, before, patch, Target::Patched, changed)
            })?;
            lines_of(conn, &scope, &id)
        })
        .await
}

/// The stage a win or a loss moves the deal to: the one named, which must be of that kind in
/// the deal's pipeline, or the pipeline's first of that kind.
fn closing_stage(
    conn: &mut DbConnection,
    scope: &Scope,
    pipeline_id: &str,
    named: Option<&str>,
    kind: StageKind,
) -> ApiResult<String> {
    let stages = pipelines::stages_of(conn, scope, &[pipeline_id])?;
    let of_kind = |s: &&Stage| s.kind == kind.as_str() && named.is_none_or(|n| n == s.id);
    stages.iter().find(of_kind).map(|s| s.id.clone()).ok_or_else(|| {
        let detail = format!("must be a {} stage of the deal's pipeline", kind.as_str());
        ApiError::invalid_field("/stage_id", "wrong_stage_kind", detail)
    })
}

fn apply(draft: &mut DealIn, patch: DealPatch, before: &DealOut) -> ApiResult<()> {
    match patch.name {
        Patch::Absent => {}
        Patch::Value(name) => draft.name = name,
        Patch::Null => return Err(ApiError::invalid_field("/name", "required", "a deal needs a name")),
    }
    if patch.pipeline_id == Patch::Null {
        return Err(ApiError::invalid_field("/pipeline_id", "required", "a deal is in a pipeline"));
    }
    if patch.stage_id == Patch::Null {
        return Err(ApiError::invalid_field("/stage_id", "required", "a deal is in a stage"));
    }
    if patch.forecast_category == Patch::Null {
        return Err(ApiError::invalid_field("/forecast_category", "required", "a deal has a forecast category"));
    }
    // Another pipeline alone: its first open stage; a stage alone: its own pipeline.
    if let Patch::Value(pipeline) = &patch.pipeline_id
        && *pipeline != before.pipeline_id
        && patch.stage_id.is_absent()
    {
        draft.stage_id = None;
    }
    if matches!(patch.stage_id, Patch::Value(_)) && patch.pipeline_id.is_absent() {
        draft.pipeline_id = None;
    }
    patch.pipeline_id.apply_to(&mut draft.pipeline_id);
    patch.stage_id.apply_to(&mut draft.stage_id);
    patch.amount.apply_to(&mut draft.amount);
    patch.close_date.apply_to(&mut draft.close_date);
    patch.owner_id.apply_to(&mut draft.owner_id);
    patch.company_id.apply_to(&mut draft.company_id);
    patch.contacts.apply_to(&mut draft.contacts);
    patch.source.apply_to(&mut draft.source);
    patch.lost_reason.apply_to(&mut draft.lost_reason);
    patch.next_step.apply_to(&mut draft.next_step);
    patch.forecast_category.apply_to(&mut draft.forecast_category);
    patch.tags.apply_to(&mut draft.tags);
    patch.external_ids.apply_to(&mut draft.external_ids);
    values::apply_patch(&mut draft.custom, patch.custom);
    validator::Validate::validate(draft).map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))
}

/// Moves a deal to the trash.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            DEALS.delete(conn, &actor, &id, if_match, |conn, before| {
                let scope = actor.scope();
                DEALS.set_trashed(conn, &scope, &id, true)?;
                totals::apply(conn, scope.org_id(), Some(Counted::of_out(before)), None)?;
                search_index::remove(conn, &scope, &id)?;
                records::set_external_ids(conn, &scope, RECORD_TYPE, &id, &BTreeMap::new())
            })?;
            Ok(())
        })
        .await
}

/// Brings a deal back from the trash, with its search words and external ids (409 when
/// another deal took one of them meanwhile).
pub async fn restore(state: &AppState, actor: &Actor, id: String) -> ApiResult<DealOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            DEALS.restore(conn, &actor, &id, |conn, scope| {
                let trashed =
                    model::find_deleted(conn, scope, &id)?.ok_or_else(|| ApiError::not_found("deleted deal"))?;
                let external_ids: BTreeMap<String, String> =
                    serde_json::from_str(&trashed.external_ids).unwrap_or_default();
                records::set_external_ids(conn, scope, RECORD_TYPE, &id, &external_ids)?;
                search_index::put(conn, scope, &document(&id, &trashed.name, trashed.owner_id.as_deref()))?;
                // Counted again in its stage's running totals (the trash took it out of them).
                totals::apply(conn, scope.org_id(), None, Some(Counted::of_deal(&trashed)))
            })
        })
        .await
}

/// The deal's stay in each stage, oldest first.
pub async fn history(state: &AppState, actor: &Actor, id: String) -> ApiResult<StageHistory> {
    actor.require(permissions::DEALS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            model::find(conn, &scope, &id)?.ok_or_else(|| ApiError::not_found("deal"))?;
            let now = crm_core::time::now();
            let data = model::history_of(conn, &scope, &id)?
                .into_iter()
                .map(|h| StageVisit {
                    duration_seconds: (h.exited_at.unwrap_or(now) - h.entered_at).num_seconds(),
                    pipeline_id: h.pipeline_id,
                    stage_id: h.stage_id,
                    stage_name: h.stage_name,
                    entered_at: h.entered_at,
                    exited_at: h.exited_at,
                })
                .collect();
            Ok(StageHistory { data })
        })
        .await
}

/// A pipeline's open stages, each with its totals and first deals.
pub async fn board(state: &AppState, actor: &Actor, pipeline_id: String, query: BoardQuery) -> ApiResult<Board> {
    actor.require(permissions::DEALS, Action::Read)?;
    let per_stage = query.deals_per_stage.unwrap_or(20);
    if !(0..=100).contains(&per_stage) {
        return Err(ApiError::bad_request("invalid_query", "deals_per_stage must be from 0 to 100."));
    }
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let stages = pipelines::stages_of(conn, &scope, &[&pipeline_id])?;
            if stages.is_empty() {
                pipelines::find(conn, &scope, &pipeline_id)?.ok_or_else(|| ApiError::not_found("pipeline"))?;
            }
            let stages: Vec<Stage> = stages.into_iter().filter(|s| s.kind == StageKind::Open.as_str()).collect();
            // `?owner_id=` (empty) filters nothing, on every path.
            let owner = query.owner_id.as_deref().filter(|o| !o.is_empty());
            // Seeing every deal, the running totals say it; otherwise sum the deals in sight.
            let sums = match scope.sight(RECORD_TYPE, model::OWNER) {
                None => totals::board(conn, &scope, &pipeline_id, owner)?,
                Some(_) => {
                    let mut conditions = vec![
                        vec![Piece::Sql("pipeline_id = ".into()), Piece::Text(pipeline_id.clone())],
                        vec![Piece::Sql("status = 'open'".into())],
                    ];
                    if let Some(owner) = owner {
                        conditions.push(vec![Piece::Sql("owner_id = ".into()), Piece::Text(owner.to_string())]);
                    }
                    model::totals(conn, &scope, "stage_id", conditions)?
                }
            };
            let mut board = Board { pipeline_id: pipeline_id.clone(), columns: Vec::new(), totals: Totals::default() };
            let mut showing = Vec::new();
            for stage in &stages {
                let mut totals = Totals::default();
                for sum in sums.iter().filter(|s| s.key == stage.id) {
                    totals.add(sum.count, sum.currency.clone(), sum.amount);
                    board.totals.add(sum.count, sum.currency.clone(), sum.amount);
                }
                if per_stage > 0 && totals.count > 0 {
                    showing.push(stage.id.as_str());
                }
                board.columns.push(BoardColumn { stage: StageOut::from(stage.clone()), totals, deals: Vec::new() });
            }
            // The first deals of every stage in one query, and the people on them in another.
            let shown = model::first_in_stages(conn, &scope, &showing, owner, per_stage)?;
            let probabilities: Vec<(String, i32)> = stages.iter().map(|s| (s.id.clone(), s.probability)).collect();
            for deal in shown_with(conn, &scope, shown, &probabilities)? {
                if let Some(column) = board.columns.iter_mut().find(|c| c.stage.id == deal.stage_id) {
                    column.deals.push(deal);
                }
            }
            Ok(board)
        })
        .await
}

/// Won, lost and open deals (in the caller's sight) with the win rate.
pub async fn summary(state: &AppState, actor: &Actor, query: SummaryQuery) -> ApiResult<Summary> {
    actor.require(permissions::DEALS, Action::Read)?;
    let scope = actor.scope();
    let date = |d: chrono::NaiveDate| Piece::Text(d.format("%Y-%m-%d").to_string());
    let mut conditions = Vec::new();
    if let Some(pipeline) = query.pipeline_id {
        conditions.push(vec![Piece::Sql("pipeline_id = ".into()), Piece::Text(pipeline)]);
    }
    if let Some(owner) = query.owner_id {
        conditions.push(vec![Piece::Sql("owner_id = ".into()), Piece::Text(owner)]);
    }
    if let Some(from) = query.close_date_from {
        conditions.push(vec![Piece::Sql("close_date >= ".into()), date(from)]);
    }
    if let Some(to) = query.close_date_to {
        conditions.push(vec![Piece::Sql("close_date <= ".into()), date(to)]);
    }
    state
        .db
        .read(move |conn| {
            let sums = model::totals(conn, &scope, "status", conditions)?;
            let mut summary =
                Summary { open: Totals::default(), won: Totals::default(), lost: Totals::default(), win_rate: None };
            for sum in sums {
                let totals = match sum.key.as_str() {
                    "won" => &mut summary.won,
                    "lost" => &mut summary.lost,
                    _ => &mut summary.open,
                };
                totals.add(sum.count, sum.currency, sum.amount);
            }
            let closed = summary.won.count + summary.lost.count;
            if closed > 0 {
                let rate = summary.won.count as f64 / closed as f64;
                summary.win_rate = Some((rate * 10_000.0).round() / 10_000.0);
            }
            Ok(summary)
        })
        .await
}
