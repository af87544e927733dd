//! Lead use cases: each one transaction, with its audit row and event. A converted lead is
//! read-only; its conversion creates or links the contact and company (never a duplicate:
//! matched by e-mail, domain, then name) and optionally a deal, in the same transaction.

use std::collections::BTreeMap;

use crm_contacts::company::dto::CompanyIn;
use crm_contacts::contact::dto::{ContactIn, EmailEntry, LifecycleStage, PhoneEntry};
use crm_contacts::link::dto::LinkIn;
use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::batch::{BatchMode, BatchResponse, MatchOn, Outcome};
use crm_core::custom_fields::{Schema, values};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::filter::SearchRequest;
use crm_core::http::{Page, Patch, trimmed};
use crm_core::normalize::{DEFAULT_REGION, Domain, Email, Phone};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Planned, Versioned};
use crm_core::{records, search_index};
use serde_json::{Map, Value};

use super::dto::{
    Conversion, ConvertIn, ConvertedTo, LeadBatchRequest, LeadIn, LeadOut, LeadPatch, LeadStatus, LeadsQuery,
};
use super::model::{self, Filters, Lead, LeadFields, RECORD_TYPE};
use crate::deal::dto::DealIn;
use crate::permissions;

/// A lead as given, checked on its own.
pub(crate) struct Normalized {
    fields: LeadFields,
    /// As given: checked against the custom field definitions when stored.
    custom: Map<String, Value>,
    tags: Vec<String>,
    external_ids: BTreeMap<String, String>,
}

/// Checks a lead on its own; `region` reads national phone numbers.
pub(crate) fn normalize(input: LeadIn, region: &str) -> ApiResult<Normalized> {
    let mut errors = Vec::new();
    let email = match trimmed(input.email).map(|e| Email::parse(&e)) {
        None => None,
        Some(Ok(email)) => Some(email.into_string()),
        Some(Err(detail)) => {
            errors.push(FieldError::new("/email", "invalid_email", detail));
            None
        }
    };
    let phone = match trimmed(input.phone).map(|p| Phone::parse(&p, region)) {
        None => None,
        Some(Ok(phone)) => Some(phone.into_string()),
        Some(Err(detail)) => {
            errors.push(FieldError::new("/phone", "invalid_phone", detail));
            None
        }
    };
    let company_domain = match trimmed(input.company_domain).map(|d| Domain::parse(&d)) {
        None => None,
        Some(Ok(domain)) => Some(domain.into_string()),
        Some(Err(detail)) => {
            errors.push(FieldError::new("/company_domain", "invalid_domain", detail));
            None
        }
    };
    let country = trimmed(input.country).map(|c| c.to_uppercase());
    if country.as_ref().is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push(FieldError::new("/country", "invalid_country", "must be an ISO 3166-1 alpha-2 code like US"));
    }
    if let Some(budget) = &input.budget
        && let Err(e) = budget.check("/budget")
    {
        errors.extend(e.errors);
    }
    let status = input.status.unwrap_or(LeadStatus::New);
    if status == LeadStatus::Converted {
        errors.push(FieldError::new("/status", "converted", "a lead is converted by POST /v1/leads/{id}/convert"));
    }
    let disqualified_reason = trimmed(input.disqualified_reason).filter(|_| status == LeadStatus::Disqualified);
    if status == LeadStatus::Disqualified && disqualified_reason.is_none() {
        errors.push(FieldError::new("/disqualified_reason", "required", "a disqualified lead needs a reason"));
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
    let fields = LeadFields {
        first_name: trimmed(input.first_name),
        last_name: trimmed(input.last_name),
        email,
        phone,
        job_title: trimmed(input.job_title),
        company_name: trimmed(input.company_name),
        company_domain,
        industry: trimmed(input.industry),
        employee_count: input.employee_count,
        country,
        source: trimmed(input.source),
        status: status.as_str().to_string(),
        disqualified_reason,
        budget_amount: input.budget.as_ref().map(|m| m.amount),
        budget_currency: input.budget.map(|m| m.currency),
        authority: trimmed(input.authority),
        need: trimmed(input.need),
        timeline: input.timeline.map(|d| d.format("%Y-%m-%d").to_string()),
        owner_id: trimmed(input.owner_id),
        tags: serde_json::to_string(&tags)?,
        external_ids: serde_json::to_string(&external_ids)?,
        custom: String::new(),
    };
    if fields.title().is_empty() {
        errors.push(FieldError::new("/last_name", "required", "a lead needs a name, an e-mail or a company name"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Normalized { fields, custom: input.custom.unwrap_or_default(), tags, external_ids })
}

/// The region national phone numbers of `input` are read in (the organization's, read only when
/// the number is national).
fn region_for(conn: &mut DbConnection, scope: &Scope, input: &LeadIn) -> ApiResult<String> {
    match &input.phone {
        Some(phone) if !phone.trim_start().starts_with('+') => crm_core::organizations::phone_region(conn, scope),
        _ => Ok(DEFAULT_REGION.to_string()),
    }
}

/// The lead's fields with the owner it will have, checked against the stored data.
fn checked(conn: &mut DbConnection, actor: &Actor, lead: &Normalized, exists: bool) -> ApiResult<LeadFields> {
    let scope = actor.scope();
    let owner_id = match &lead.fields.owner_id {
        None if !exists => scope.default_owner(conn, RECORD_TYPE)?,
        owner => owner.clone(),
    };
    if let Some(owner) = &owner_id {
        crm_core::users::model::check_owner(conn, &scope, owner)?;
    }
    Ok(LeadFields { owner_id, ..lead.fields.clone() })
}

/// A lead's search document.
fn document<'a>(id: &'a str, title: &'a str, fields: &'a LeadFields) -> search_index::Document<'a> {
    let texts =
        [Some(title), fields.email.as_deref(), fields.company_name.as_deref(), fields.company_domain.as_deref()];
    search_index::Document {
        record_type: RECORD_TYPE,
        record_id: id,
        title,
        subtitle: fields.company_name.as_deref().or(fields.email.as_deref()),
        texts: texts.into_iter().flatten().collect(),
        phones: fields.phone.as_deref().into_iter().collect(),
        owner_id: fields.owner_id.as_deref(),
    }
}

/// A lead's creation, worked out by reads alone.
fn plan_create(conn: &mut DbConnection, actor: &Actor, lead: &Normalized) -> ApiResult<Planned<LeadOut>> {
    let (id, scope, now) = (crm_core::id::new_id(model::ID_PREFIX), actor.scope(), crm_core::time::now());
    let mut fields = checked(conn, actor, lead, false)?;
    let custom = values::for_new_record(conn, &scope, RECORD_TYPE, &id, &lead.custom)?;
    fields.custom = custom.json;
    let external_ids = records::external_id_rows(conn, &scope, RECORD_TYPE, &id, &lead.external_ids)?;
    let title = fields.title();
    let mut writes = vec![model::insert(&scope, &id, &fields, now)];
    writes.extend(search_index::insert(&scope, &document(&id, &title, &fields)));
    writes.extend(records::tag_rows(&scope, RECORD_TYPE, &id, &lead.tags));
    writes.extend(external_ids);
    writes.extend(custom.index);
    let mut created = LeadOut::from(model::inserted(&id, fields, now));
    created.custom = custom.shown;
    Ok(LEADS.plan_created(actor, &id, created, writes))
}

/// Writes an existing lead's change.
fn store(conn: &mut DbConnection, actor: &Actor, id: &str, lead: &Normalized, before: &LeadOut) -> ApiResult<()> {
    let scope = actor.scope();
    let mut fields = checked(conn, actor, lead, true)?;
    let stored = serde_json::to_string(&before.custom)?;
    (fields.custom, _) = values::store(conn, &scope, RECORD_TYPE, id, &lead.custom, Some(&stored))?;
    model::update(conn, &scope, id, &fields)?;
    let title = fields.title();
    search_index::put(conn, &scope, &document(id, &title, &fields))?;
    if lead.tags != before.tags {
        records::set_tags(conn, &scope, RECORD_TYPE, id, &lead.tags)?;
    }
    if lead.external_ids != before.external_ids {
        records::set_external_ids(conn, &scope, RECORD_TYPE, id, &lead.external_ids)?;
    }
    Ok(())
}

/// Leads as the write runner takes them.
pub(crate) const LEADS: Versioned<LeadOut> = Versioned {
    table: "leads",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: Some(load_locked),
    version: |l| l.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<LeadOut> {
    let lead = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("lead"))?;
    out_of(conn, scope, lead)
}

fn load_locked(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<LeadOut> {
    let sight = scope.sight(RECORD_TYPE, model::OWNER);
    let lead = LEADS.live_row(conn, scope, sight, id)?.ok_or_else(|| ApiError::not_found("lead"))?;
    out_of(conn, scope, lead)
}

/// A stored lead as the API shows it (reads the definitions when it has custom values).
fn out_of(conn: &mut DbConnection, scope: &Scope, lead: Lead) -> ApiResult<LeadOut> {
    let mut out = LeadOut::from(lead);
    out.custom = values::visible(conn, scope, RECORD_TYPE, out.custom)?;
    Ok(out)
}

fn shown(schema: &Schema, lead: Lead) -> LeadOut {
    let mut out = LeadOut::from(lead);
    out.custom = schema.visible(out.custom);
    out
}

fn converted(id: &str) -> ApiError {
    ApiError::conflict("lead_converted", format!("Lead {id} was converted: it is read-only."))
}

pub async fn create(state: &AppState, actor: &Actor, input: LeadIn) -> ApiResult<LeadOut> {
    actor.require(permissions::LEADS, Action::Write)?;
    let actor = actor.clone();
    state.db.write(move |conn| create_in(conn, &actor, input)).await
}

/// Creates a lead on the caller's connection: without an owner, the assignment rules give it
/// one; then it is scored.
fn create_in(conn: &mut DbConnection, actor: &Actor, input: LeadIn) -> ApiResult<LeadOut> {
    let region = region_for(conn, &actor.scope(), &input)?;
    let created = plan_create(conn, actor, &normalize(input, &region)?)?.write(conn)?;
    let created = match created.owner_id {
        None => assign_in(conn, actor, &created.id, None)?.unwrap_or(created),
        Some(_) => created,
    };
    scored(conn, actor, created)
}

/// Sets on the lead every field `input` gives, and rescores it: the lead as it is, and
/// whether it changed.
fn overlay_in(conn: &mut DbConnection, actor: &Actor, id: &str, input: LeadIn) -> ApiResult<(LeadOut, bool)> {
    let mut version = 0;
    let updated = LEADS.update(conn, actor, id, None, "updated", |conn, before| {
        version = before.version;
        let mut draft = LeadIn::from(before.clone());
        overlay(&mut draft, input);
        edit(conn, actor, id, draft, before)
    })?;
    let changed = updated.version != version;
    Ok((scored(conn, actor, updated)?, changed))
}

/// The lead an input of a batch matches under `rule`, if any.
fn find_match(
    conn: &mut DbConnection,
    scope: &Scope,
    rule: &MatchOn,
    id: Option<&str>,
    input: &LeadIn,
) -> ApiResult<Option<String>> {
    match rule {
        MatchOn::Id => match id {
            Some(id) => Ok(model::find(conn, scope, id)?.map(|l| l.id)),
            None => Err(ApiError::invalid_field("/id", "required", "match_on id needs the input's id")),
        },
        MatchOn::Email => match input.email.as_deref().map(Email::parse) {
            Some(Ok(email)) => model::find_by_email(conn, scope, email.as_str()),
            _ => Ok(None),
        },
        MatchOn::ExternalId(source) => match input.external_ids.as_ref().and_then(|ids| ids.get(source)) {
            Some(external_id) => records::find_by_external_id(conn, scope, RECORD_TYPE, source, external_id),
            None => Ok(None),
        },
    }
}

/// Creates, updates or upserts up to 1,000 leads: each input rolls back alone when it fails,
/// or all of them together when `atomic`.
pub async fn batch(state: &AppState, actor: &Actor, request: LeadBatchRequest) -> ApiResult<BatchResponse> {
    actor.require(permissions::LEADS, Action::Write)?;
    crm_core::batch::check_size(request.inputs.len())?;
    let rule = MatchOn::of_request(request.match_on.as_deref(), request.mode)?;
    let (mode, atomic) = (request.mode, request.atomic);
    let actor = actor.clone();
    let outcomes = state
        .db
        .write(move |conn| {
            // The assignment rules an input may go through, locked up front in one order:
            // batches wait for each other instead of deadlocking on them.
            if request.inputs.iter().any(|i| i.properties.owner_id.is_none()) {
                crate::assignment::service::lock_turns(conn, &actor.scope())?;
            }
            let outcomes = crm_core::batch::each(conn, request.inputs, atomic, |conn, input| {
                validator::Validate::validate(&input.properties)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let matched = match (&rule, mode) {
                    (Some(rule), BatchMode::Update | BatchMode::Upsert) => {
                        find_match(conn, &actor.scope(), rule, input.id.as_deref(), &input.properties)?
                    }
                    _ => None,
                };
                Ok(match (matched, mode) {
                    (None, BatchMode::Update) => Outcome::Unmatched,
                    (None, _) => Outcome::Created(create_in(conn, &actor, input.properties)?.id),
                    (Some(id), _) => match overlay_in(conn, &actor, &id, input.properties)? {
                        (lead, true) => Outcome::Updated(lead.id),
                        (lead, false) => Outcome::Unchanged(lead.id),
                    },
                })
            })?;
            if atomic && let Some(failed) = crm_core::batch::atomic_failure(&outcomes) {
                return Err(failed);
            }
            Ok(outcomes)
        })
        .await?;
    Ok(crm_core::batch::response(outcomes, "lead"))
}

/// The lead with its score computed and stored (the scoring rules read its stored row).
fn scored(conn: &mut DbConnection, actor: &Actor, mut lead: LeadOut) -> ApiResult<LeadOut> {
    if lead.status != LeadStatus::Converted {
        lead.score = crate::scoring::service::rescore(conn, &actor.scope(), &lead.id)?;
    }
    Ok(lead)
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<LeadOut> {
    actor.require(permissions::LEADS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: LeadsQuery) -> ApiResult<Page<LeadOut>> {
    actor.require(permissions::LEADS, Action::Read)?;
    let paging = query.paging();
    let filter = crm_core::filter::from_query(query.filter.as_deref())?;
    let email = match query.email.as_deref().map(Email::parse) {
        None => None,
        Some(Ok(email)) => Some(email.into_string()),
        Some(Err(_)) => return Err(ApiError::bad_request("invalid_query", "email must be an e-mail address.")),
    };
    let filters = Filters {
        status: query.status.map(|s| s.as_str().to_string()),
        owner_id: query.owner_id,
        source: query.source,
        email,
        tag: query.tag,
    };
    page_of(state, actor, SearchRequest::of_list(filter, paging), filters).await
}

/// Lists the leads matching a filter in the filter language and/or free text.
pub async fn search(state: &AppState, actor: &Actor, request: SearchRequest) -> ApiResult<Page<LeadOut>> {
    actor.require(permissions::LEADS, Action::Read)?;
    page_of(state, actor, request, Filters::default()).await
}

async fn page_of(
    state: &AppState,
    actor: &Actor,
    request: SearchRequest,
    filters: Filters,
) -> ApiResult<Page<LeadOut>> {
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
    patch: LeadPatch,
    if_match: Option<i64>,
) -> ApiResult<LeadOut> {
    actor.require(permissions::LEADS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let updated = LEADS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = LeadIn::from(before.clone());
                apply(&mut draft, patch, before)?;
                edit(conn, &actor, &id, draft, before)
            })?;
            scored(conn, &actor, updated)
        })
        .await
}

/// Writes what `draft` makes of the locked lead `before`.
fn edit(conn: &mut DbConnection, actor: &Actor, id: &str, draft: LeadIn, before: &LeadOut) -> ApiResult<Edit<LeadOut>> {
    if before.status == LeadStatus::Converted {
        return Err(converted(id));
    }
    validator::Validate::validate(&draft).map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
    let region = region_for(conn, &actor.scope(), &draft)?;
    let lead = normalize(draft, &region)?;
    let current = normalize(LeadIn::from(before.clone()), DEFAULT_REGION)?;
    if current.fields == lead.fields && current.custom == lead.custom {
        return Ok(Edit::Unchanged);
    }
    store(conn, actor, id, &lead, before)?;
    Ok(Edit::Changed)
}

fn apply(draft: &mut LeadIn, patch: LeadPatch, before: &LeadOut) -> ApiResult<()> {
    if before.status == LeadStatus::Converted {
        return Err(converted(&before.id));
    }
    if patch.status == Patch::Null {
        return Err(ApiError::invalid_field("/status", "required", "a lead has a status"));
    }
    patch.first_name.apply_to(&mut draft.first_name);
    patch.last_name.apply_to(&mut draft.last_name);
    patch.email.apply_to(&mut draft.email);
    patch.phone.apply_to(&mut draft.phone);
    patch.job_title.apply_to(&mut draft.job_title);
    patch.company_name.apply_to(&mut draft.company_name);
    patch.company_domain.apply_to(&mut draft.company_domain);
    patch.industry.apply_to(&mut draft.industry);
    patch.employee_count.apply_to(&mut draft.employee_count);
    patch.country.apply_to(&mut draft.country);
    patch.source.apply_to(&mut draft.source);
    patch.status.apply_to(&mut draft.status);
    patch.disqualified_reason.apply_to(&mut draft.disqualified_reason);
    patch.budget.apply_to(&mut draft.budget);
    patch.authority.apply_to(&mut draft.authority);
    patch.need.apply_to(&mut draft.need);
    patch.timeline.apply_to(&mut draft.timeline);
    patch.owner_id.apply_to(&mut draft.owner_id);
    patch.tags.apply_to(&mut draft.tags);
    patch.external_ids.apply_to(&mut draft.external_ids);
    values::apply_patch(&mut draft.custom, patch.custom);
    Ok(())
}

/// Creates the lead holding `source:external_id`, or sets the fields given on it: 201 when
/// created (`true`), 200 when updated.
pub async fn upsert_by_external_id(
    state: &AppState,
    actor: &Actor,
    source: String,
    external_id: String,
    input: LeadIn,
) -> ApiResult<(LeadOut, bool)> {
    actor.require(permissions::LEADS, Action::Write)?;
    let mut ids = BTreeMap::from([(source.clone(), external_id.clone())]);
    records::check_external_ids(&ids, "/external_ids")?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            match records::find_by_external_id(conn, &scope, RECORD_TYPE, &source, &external_id)? {
                Some(id) => {
                    let updated = LEADS.update(conn, &actor, &id, None, "updated", |conn, before| {
                        let mut draft = LeadIn::from(before.clone());
                        overlay(&mut draft, input);
                        draft.external_ids.get_or_insert_default().insert(source, external_id);
                        edit(conn, &actor, &id, draft, before)
                    })?;
                    Ok((scored(conn, &actor, updated)?, false))
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

/// Sets on `base` every field `input` gives.
fn overlay(base: &mut LeadIn, input: LeadIn) {
    macro_rules! given {
        ($($field:ident),*) => {$(if input.$field.is_some() { base.$field = input.$field; })*};
    }
    given!(
        first_name,
        last_name,
        email,
        phone,
        job_title,
        company_name,
        company_domain,
        industry,
        employee_count,
        country,
        source,
        status,
        disqualified_reason,
        budget,
        authority,
        need,
        timeline,
        owner_id,
        tags
    );
    // Ids in other systems add up: an upsert by one source keeps the lead's ids of the others.
    if let Some(ids) = input.external_ids {
        base.external_ids.get_or_insert_default().extend(ids);
    }
    if let Some(custom) = input.custom {
        values::merge(base.custom.get_or_insert_default(), custom);
    }
}

/// Moves a lead to the trash.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::LEADS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            LEADS.delete(conn, &actor, &id, if_match, |conn, _| {
                let scope = actor.scope();
                LEADS.set_trashed(conn, &scope, &id, true)?;
                search_index::remove(conn, &scope, &id)?;
                records::set_external_ids(conn, &scope, RECORD_TYPE, &id, &BTreeMap::new())
            })?;
            Ok(())
        })
        .await
}

/// Brings a lead back from the trash (409 when another lead took one of its external ids).
pub async fn restore(state: &AppState, actor: &Actor, id: String) -> ApiResult<LeadOut> {
    actor.require(permissions::LEADS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            LEADS.restore(conn, &actor, &id, |conn, scope| {
                let trashed =
                    model::find_deleted(conn, scope, &id)?.ok_or_else(|| ApiError::not_found("deleted lead"))?;
                let fields = model::fields_of(&trashed);
                let external_ids: BTreeMap<String, String> =
                    serde_json::from_str(&fields.external_ids).unwrap_or_default();
                records::set_external_ids(conn, scope, RECORD_TYPE, &id, &external_ids)?;
                let title = fields.title();
                search_index::put(conn, scope, &document(&id, &title, &fields))
            })
        })
        .await
}

/// Converts a lead: the contact (linked when one has its e-mail, else created), the company
/// (linked by domain or name, else created when the lead names one), the contact's link to it,
/// a deal when asked, the lead's activities carried over to all of them, and the lead marked
/// converted (`lead.converted`), in one transaction.
pub async fn convert(
    state: &AppState,
    actor: &Actor,
    id: String,
    input: ConvertIn,
    if_match: Option<i64>,
) -> ApiResult<Conversion> {
    actor.require(permissions::LEADS, Action::Write)?;
    actor.require(crm_contacts::permissions::CONTACTS, Action::Write)?;
    if input.deal.is_some() {
        actor.require(permissions::DEALS, Action::Write)?;
    }
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            let mut done = None;
            let lead = LEADS.update_named(conn, &actor, &id, if_match, |conn, before| {
                if before.status == LeadStatus::Converted {
                    return Err(converted(&id));
                }
                let conversion = convert_in(conn, &keys, &actor, before, input)?;
                // The lead as its row will say, one version more: written with the audit row
                // and the event in one statement, read nothing again.
                let now = crm_core::time::now();
                let row = model::converted_row(&serde_json::to_string(&conversion.0)?, now);
                let mut after = before.clone();
                (after.status, after.converted_at, after.converted_to) =
                    (LeadStatus::Converted, Some(now), Some(conversion.0.clone()));
                (after.updated_at, after.version) = (now, before.version + 1);
                done = Some(conversion);
                Ok((Edit::Saved { after, row, writes: Vec::new() }, "converted"))
            })?;
            let (to, contact_created, company_created) = done.ok_or_else(|| ApiError::internal("conversion lost"))?;
            Ok(Conversion {
                lead,
                contact_id: to.contact_id,
                contact_created,
                company_id: to.company_id,
                company_created,
                deal_id: to.deal_id,
            })
        })
        .await
}

/// What a conversion makes of the locked lead: where it went, and whether the contact and
/// company were created.
fn convert_in(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    lead: &LeadOut,
    input: ConvertIn,
) -> ApiResult<(ConvertedTo, bool, bool)> {
    let scope = actor.scope();
    let everything = scope.unrestricted();
    let by_email = match (&input.contact_id, &lead.email) {
        (None, Some(email)) => crm_contacts::contact::service::holding_email(conn, &scope, email)?,
        _ => None,
    };
    let (contact_id, contact_created) = match (input.contact_id, by_email) {
        (Some(id), _) => {
            crm_contacts::contact::model::find(conn, &scope, &id)?.ok_or_else(|| {
                ApiError::invalid_field("/contact_id", "unknown_contact", "must be a contact you can see")
            })?;
            (id, false)
        }
        (None, Some(id)) => (id, false),
        (None, None) if lead.first_name.is_none() && lead.last_name.is_none() && lead.email.is_none() => {
            return Err(ApiError::invalid_field(
                "/contact_id",
                "required",
                "the lead has no name or e-mail to make a contact of: name the contact",
            ));
        }
        (None, None) => {
            let contact = ContactIn {
                first_name: lead.first_name.clone(),
                last_name: lead.last_name.clone(),
                emails: lead
                    .email
                    .clone()
                    .map(|address| vec![EmailEntry { address, kind: Default::default(), primary: true }]),
                phones: lead
                    .phone
                    .clone()
                    .map(|number| vec![PhoneEntry { number, kind: Default::default(), primary: true }]),
                job_title: lead.job_title.clone(),
                lifecycle_stage: Some(if input.deal.is_some() {
                    LifecycleStage::Opportunity
                } else {
                    LifecycleStage::SalesQualified
                }),
                lead_source: lead.source.clone(),
                owner_id: lead.owner_id.clone(),
                ..Default::default()
            };
            (crm_contacts::contact::service::create_from(conn, keys, actor, contact)?.id, true)
        }
    };
    let (company_id, company_created) = match input.company_id {
        Some(id) => {
            crm_contacts::company::model::find(conn, &scope, &id)?.ok_or_else(|| {
                ApiError::invalid_field("/company_id", "unknown_company", "must be a company you can see")
            })?;
            (Some(id), false)
        }
        None => {
            let by_domain = match &lead.company_domain {
                Some(domain) => crm_contacts::company::model::find_by_domain(conn, &everything, domain, "")?,
                None => None,
            };
            let by_name = match (&by_domain, &lead.company_name) {
                (None, Some(name)) => crm_contacts::company::model::find_by_name(conn, &everything, name)?,
                _ => None,
            };
            match (by_domain.or(by_name), &lead.company_name) {
                (Some(id), _) => (Some(id), false),
                (None, Some(name)) => {
                    let company = CompanyIn {
                        name: name.clone(),
                        domain: lead.company_domain.clone(),
                        industry: lead.industry.clone(),
                        employee_count: lead.employee_count,
                        owner_id: lead.owner_id.clone(),
                        ..Default::default()
                    };
                    (Some(crm_contacts::company::service::create_from(conn, actor, company)?.id), true)
                }
                (None, None) => (None, false),
            }
        }
    };
    // A contact already linked to the company keeps its link (and role) as it is.
    if let Some(company) = &company_id
        && crm_contacts::link::model::find(conn, &scope, &contact_id, company)?.is_none()
    {
        let link = LinkIn { role: lead.job_title.clone(), ..Default::default() };
        crm_contacts::link::service::link_in(conn, actor, &contact_id, company, link)?;
    }
    let deal_id = match input.deal {
        None => None,
        Some(deal) => {
            let name = deal.name.or_else(|| lead.company_name.clone()).unwrap_or_else(|| "Deal".to_string());
            let deal = DealIn {
                name,
                amount: deal.amount.or_else(|| lead.budget.clone()),
                close_date: deal.close_date,
                pipeline_id: deal.pipeline_id,
                stage_id: deal.stage_id,
                owner_id: lead.owner_id.clone(),
                company_id: company_id.clone(),
                contacts: Some(vec![crate::deal::dto::DealContact { contact_id: contact_id.clone(), role: None }]),
                source: lead.source.clone(),
                ..Default::default()
            };
            Some(crate::deal::service::create_in(conn, actor, deal)?.id)
        }
    };
    let from =
        crm_contacts::activity::model::Target { record_type: RECORD_TYPE.to_string(), record_id: lead.id.clone() };
    let targets = [("contact", Some(&contact_id)), ("company", company_id.as_ref()), ("deal", deal_id.as_ref())];
    for (record_type, id) in targets {
        if let Some(id) = id {
            let to =
                crm_contacts::activity::model::Target { record_type: record_type.to_string(), record_id: id.clone() };
            crm_contacts::activity::model::carry_over(conn, &scope, &from, &to)?;
        }
    }
    Ok((ConvertedTo { contact_id, company_id, deal_id }, contact_created, company_created))
}

/// A filter of the filter language over the lead's fields, compiled (422 with a pointer under
/// `/filter` when it is not one): scoring and assignment rules take the leads it matches.
pub(crate) fn filter_condition(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &Value,
) -> ApiResult<crm_core::filter::Condition<crate::schema::leads::table>> {
    let parsed: crm_core::filter::Filter = serde_json::from_value(filter.clone())
        .map_err(|_| ApiError::invalid_field("/filter", "invalid_filter", "must be a filter of the filter language"))?;
    let schema = Schema::load(conn, scope, RECORD_TYPE)?;
    let custom = schema.filter_fields();
    crm_core::filter::compile(&parsed, &model::LISTING.spec(scope, &custom), "/filter")
}

/// Whether the stored lead matches the filter (a filter that no longer compiles, its custom
/// field archived, matches nothing).
pub(crate) fn matches(conn: &mut DbConnection, scope: &Scope, id: &str, filter: &Value) -> ApiResult<bool> {
    match filter_condition(conn, scope, filter) {
        Ok(condition) => model::matches(conn, scope, id, condition),
        Err(_) => Ok(false),
    }
}

/// Gives the lead the owner the assignment rules pick (`lead.assigned`); `None` when no rule
/// takes it.
pub(crate) fn assign_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    if_match: Option<i64>,
) -> ApiResult<Option<LeadOut>> {
    let scope = actor.scope();
    let mut picked = None;
    let lead = LEADS.update_named(conn, actor, id, if_match, |conn, before| {
        if before.status == LeadStatus::Converted {
            return Err(converted(id));
        }
        let Some((owner, _rule)) = crate::assignment::service::pick(conn, &scope, id)? else {
            return Ok((Edit::Unchanged, "assigned"));
        };
        picked = Some(owner.clone());
        let mut draft = LeadIn::from(before.clone());
        draft.owner_id = Some(owner);
        Ok((edit(conn, actor, id, draft, before)?, "assigned"))
    })?;
    Ok(picked.map(|_| lead))
}
