//! Company use cases: each one transaction, with its audit row and event.

use std::collections::BTreeMap;

use crm_core::auth::{Action, Actor};
use crm_core::custom_fields::Schema;
use crm_core::custom_fields::values;
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::filter::SearchRequest;
use crm_core::http::{Page, Patch, trimmed};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Planned, Versioned};
use crm_core::{records, search_index};
use serde_json::{Map, Value};

use super::dto::{CompaniesQuery, CompanyIn, CompanyOut, CompanyPatch};
use super::model::{self, Company, CompanyFields, Filters, RECORD_TYPE};
use crate::normalize::Domain;
use crate::permissions;

/// How deep a parent chain may go (and how far the cycle check walks).
const MAX_DEPTH: usize = 50;

#[derive(PartialEq)]
pub(crate) struct Normalized {
    fields: CompanyFields,
    /// As given: checked against the custom field definitions when stored.
    custom: Map<String, Value>,
    tags: Vec<String>,
    external_ids: BTreeMap<String, String>,
}

pub(crate) fn normalize(input: CompanyIn) -> ApiResult<Normalized> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::new("/name", "required", "a company needs a name"));
    }
    let domain = match trimmed(input.domain).map(|d| Domain::parse(&d)) {
        None => None,
        Some(Ok(domain)) => Some(domain.into_string()),
        Some(Err(detail)) => {
            errors.push(FieldError::new("/domain", "invalid_domain", detail));
            None
        }
    };
    if let Some(revenue) = &input.annual_revenue
        && let Err(e) = revenue.check("/annual_revenue")
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
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let addresses = crate::common::normalize_addresses(input.addresses);
    let fields = CompanyFields {
        sort_name: name.to_lowercase(),
        name,
        domain,
        industry: trimmed(input.industry),
        employee_count: input.employee_count,
        annual_revenue_amount: input.annual_revenue.as_ref().map(|m| m.amount),
        annual_revenue_currency: input.annual_revenue.map(|m| m.currency),
        addresses: serde_json::to_string(&addresses)?,
        parent_id: trimmed(input.parent_id),
        owner_id: trimmed(input.owner_id),
        tags: serde_json::to_string(&tags)?,
        external_ids: serde_json::to_string(&external_ids)?,
        custom: String::new(),
    };
    Ok(Normalized { fields, custom: input.custom.unwrap_or_default(), tags, external_ids })
}

/// 422 unless `parent` is a live company of the organization (whoever may see it) whose
/// ancestors do not include `id`.
fn check_parent(conn: &mut DbConnection, scope: &Scope, id: &str, parent: &str) -> ApiResult<()> {
    let invalid = |detail: &str| ApiError::invalid_field("/parent_id", "invalid_parent", detail.to_string());
    if model::find(conn, &scope.unrestricted(), parent)?.is_none() {
        return Err(invalid("must be a company of the organization"));
    }
    let mut current = Some(parent.to_string());
    for _ in 0..MAX_DEPTH {
        match current {
            Some(ancestor) if ancestor == id => return Err(invalid("a company cannot be its own ancestor")),
            Some(ancestor) => current = model::parent_of(conn, scope, &ancestor)?,
            None => return Ok(()),
        }
    }
    Err(invalid("the parent chain is too deep"))
}

/// Checks a company against the stored data (owner, parent, domain): its fields with the owner
/// it will have.
fn checked(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    company: &Normalized,
    exists: bool,
) -> ApiResult<CompanyFields> {
    let scope = actor.scope();
    let owner_id = match &company.fields.owner_id {
        None if !exists => scope.default_owner(conn, RECORD_TYPE)?,
        owner => owner.clone(),
    };
    if let Some(owner) = &owner_id {
        crm_core::users::model::check_owner(conn, &scope, owner)?;
    }
    if let Some(parent) = &company.fields.parent_id {
        check_parent(conn, &scope, id, parent)?;
    }
    if let Some(domain) = &company.fields.domain
        && let Some(holder) = model::find_by_domain(conn, &scope, domain, id)?
    {
        return Err(ApiError::conflict(
            "duplicate_company",
            format!("Company {holder} already has the domain {domain}."),
        ));
    }
    Ok(CompanyFields { owner_id, ..company.fields.clone() })
}

/// A company's search document.
fn document<'a>(id: &'a str, fields: &'a CompanyFields) -> search_index::Document<'a> {
    search_index::Document {
        record_type: RECORD_TYPE,
        record_id: id,
        title: &fields.name,
        subtitle: fields.domain.as_deref(),
        texts: [Some(fields.name.as_str()), fields.domain.as_deref()].into_iter().flatten().collect(),
        phones: Vec::new(),
        owner_id: fields.owner_id.as_deref(),
    }
}

/// Writes an existing company's change.
fn store(conn: &mut DbConnection, actor: &Actor, id: &str, company: &Normalized) -> ApiResult<()> {
    let scope = actor.scope();
    let mut fields = checked(conn, actor, id, company, true)?;
    let stored = model::stored_custom(conn, &scope, id)?;
    (fields.custom, _) = values::store(conn, &scope, RECORD_TYPE, id, &company.custom, Some(&stored))?;
    model::update(conn, &scope, id, &fields)?;
    search_index::put(conn, &scope, &document(id, &fields))?;
    records::set_tags(conn, &scope, RECORD_TYPE, id, &company.tags)?;
    records::set_external_ids(conn, &scope, RECORD_TYPE, id, &company.external_ids)
}

/// A company's creation, worked out by reads alone: its row, search words, tags, external ids
/// and custom value index go with its audit row and event in one statement on PostgreSQL.
fn plan_create(conn: &mut DbConnection, actor: &Actor, company: &Normalized) -> ApiResult<Planned<CompanyOut>> {
    let (id, scope) = (crm_core::id::new_id(model::ID_PREFIX), actor.scope());
    let mut fields = checked(conn, actor, &id, company, false)?;
    let custom = values::for_new_record(conn, &scope, RECORD_TYPE, &id, &company.custom)?;
    fields.custom = custom.json;
    let external_ids = records::external_id_rows(conn, &scope, RECORD_TYPE, &id, &company.external_ids)?;
    let now = crm_core::time::now();
    let mut writes = vec![model::insert(&scope, &id, &fields, now)];
    writes.extend(search_index::insert(&scope, &document(&id, &fields)));
    writes.extend(records::tag_rows(&scope, RECORD_TYPE, &id, &company.tags));
    writes.extend(external_ids);
    writes.extend(custom.index);
    let mut created = CompanyOut::from(model::inserted(&scope, &id, fields, now));
    created.custom = custom.shown;
    Ok(COMPANIES.plan_created(actor, &id, created, writes))
}

/// Companies as the write runner takes them.
const COMPANIES: Versioned<CompanyOut> = Versioned {
    table: "companies",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |c| c.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<CompanyOut> {
    let company = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("company"))?;
    let mut out = CompanyOut::from(company);
    out.custom = values::visible(conn, scope, RECORD_TYPE, out.custom)?;
    Ok(out)
}

/// A company as the API shows it: values of archived custom fields hidden.
fn shown(schema: &Schema, company: Company) -> CompanyOut {
    let mut out = CompanyOut::from(company);
    out.custom = schema.visible(out.custom);
    out
}

pub async fn create(state: &AppState, actor: &Actor, input: CompanyIn) -> ApiResult<CompanyOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let company = normalize(input)?;
    let actor = actor.clone();
    state.db.write_planned(move |conn| plan_create(conn, &actor, &company)).await
}

/// Creates a company on the caller's connection (imports).
pub(crate) fn create_in(conn: &mut DbConnection, actor: &Actor, company: &Normalized) -> ApiResult<CompanyOut> {
    plan_create(conn, actor, company)?.write(conn)
}

/// Creates a company on the caller's connection: for other domains' use cases (a converted
/// lead), in their transaction.
pub fn create_from(conn: &mut DbConnection, actor: &Actor, input: CompanyIn) -> ApiResult<CompanyOut> {
    create_in(conn, actor, &normalize(input)?)
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<CompanyOut> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: CompaniesQuery) -> ApiResult<Page<CompanyOut>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let paging = query.paging();
    let filter = crm_core::filter::from_query(query.filter.as_deref())?;
    let domain = match query.domain.as_deref().map(Domain::parse) {
        None => None,
        Some(Ok(d)) => Some(d.into_string()),
        Some(Err(_)) => {
            return Err(ApiError::bad_request("invalid_query", "domain must be a domain like acme.example."));
        }
    };
    let filters = Filters {
        owner_id: query.owner_id,
        parent_id: query.parent_id,
        domain,
        industry: query.industry,
        tag: query.tag,
    };
    let request = SearchRequest::of_list(filter, paging);
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
    patch: CompanyPatch,
    if_match: Option<i64>,
) -> ApiResult<CompanyOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state.db.write(move |conn| update_in(conn, &actor, &id, patch, if_match)).await
}

/// Updates a company on the caller's connection (another domain's job moving its owner).
pub fn update_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    patch: CompanyPatch,
    if_match: Option<i64>,
) -> ApiResult<CompanyOut> {
    COMPANIES.update(conn, actor, id, if_match, "updated", |conn, before| {
        let mut draft = CompanyIn::from(before.clone());
        apply(&mut draft, patch)?;
        let company = normalize(draft)?;
        if normalize(CompanyIn::from(before.clone())).is_ok_and(|current| current == company) {
            return Ok(Edit::Unchanged);
        }
        store(conn, actor, id, &company)?;
        Ok(Edit::Changed)
    })
}

fn apply(draft: &mut CompanyIn, patch: CompanyPatch) -> ApiResult<()> {
    match patch.name {
        Patch::Absent => {}
        Patch::Value(name) => draft.name = name,
        Patch::Null => return Err(ApiError::invalid_field("/name", "required", "a company needs a name")),
    }
    patch.domain.apply_to(&mut draft.domain);
    patch.industry.apply_to(&mut draft.industry);
    patch.employee_count.apply_to(&mut draft.employee_count);
    patch.annual_revenue.apply_to(&mut draft.annual_revenue);
    patch.addresses.apply_to(&mut draft.addresses);
    patch.parent_id.apply_to(&mut draft.parent_id);
    patch.owner_id.apply_to(&mut draft.owner_id);
    patch.tags.apply_to(&mut draft.tags);
    patch.external_ids.apply_to(&mut draft.external_ids);
    values::apply_patch(&mut draft.custom, patch.custom);
    if draft.employee_count.is_some_and(|n| n < 0) {
        return Err(ApiError::invalid_field("/employee_count", "range", "must not be negative"));
    }
    Ok(())
}

/// Moves a company to the trash; a company with live subsidiaries cannot go.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            COMPANIES.delete(conn, &actor, &id, if_match, |conn, _| {
                if model::count_children(conn, &actor.scope(), &id)? > 0 {
                    return Err(ApiError::conflict(
                        "has_subsidiaries",
                        "Move or delete the subsidiaries of this company first.",
                    ));
                }
                COMPANIES.set_trashed(conn, &actor.scope(), &id, true)?;
                search_index::remove(conn, &actor.scope(), &id)?;
                records::set_external_ids(conn, &actor.scope(), RECORD_TYPE, &id, &BTreeMap::new())
            })?;
            Ok(())
        })
        .await
}

/// Lists the records matching a filter in the filter language and/or free text.
pub async fn search(state: &AppState, actor: &Actor, request: SearchRequest) -> ApiResult<Page<CompanyOut>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let load = |conn: &mut DbConnection, conditions, plan: &_| {
                model::list(conn, &scope, &Filters::default(), conditions, plan)
            };
            model::LISTING.page(conn, &scope, &request, load, shown)
        })
        .await
}
