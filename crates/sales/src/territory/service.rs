//! Territory use cases: the territories (each write one transaction with its audit row and
//! event, queuing a realignment), the alignment job, and the owner a new deal takes.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::http::{Page, Patch, page};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{
    AlignmentQueued, TerritoriesQuery, TerritoryCompaniesQuery, TerritoryCompany, TerritoryIn, TerritoryOut,
    TerritoryPatch,
};
use super::model::{self, CompanyFacts, RECORD_TYPE, Territory, TerritoryFields};
use crate::permissions;

/// The job that records every company's territory and moves owners where it changed.
pub const ALIGN_KIND: &str = "sales.align_territories";
/// Companies aligned per transaction.
const ALIGN_CHUNK: i64 = 200;

const TERRITORIES: Versioned<TerritoryOut> = Versioned {
    table: "territories",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |t| t.version,
};

fn out(t: Territory) -> TerritoryOut {
    let fields = TerritoryFields::of(&t);
    TerritoryOut {
        id: t.id,
        name: fields.name,
        countries: fields.countries,
        regions: fields.regions,
        industries: fields.industries,
        min_employees: fields.min_employees,
        max_employees: fields.max_employees,
        owner_id: fields.owner_id,
        priority: fields.priority,
        active: fields.active,
        created_at: t.created_at,
        updated_at: t.updated_at,
        version: t.version,
    }
}

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<TerritoryOut> {
    model::find(conn, scope, id)?.map(out).ok_or_else(|| ApiError::not_found("territory"))
}

/// A list of names, trimmed and cased for matching, without blanks or repeats; a blank or
/// over-long one is an error at `<pointer>/<i>`.
fn names(
    list: Option<Vec<String>>,
    pointer: &str,
    case: fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for (i, name) in list.unwrap_or_default().iter().enumerate() {
        let name = case(name.trim());
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new(format!("{pointer}/{i}"), "invalid", "1 to 100 characters"));
        } else if !kept.contains(&name) {
            kept.push(name);
        }
    }
    kept
}

/// A territory's fields, checked: countries are two letters, the size bounds are in order,
/// the owner is an active user.
fn checked(conn: &mut DbConnection, scope: &Scope, input: TerritoryIn) -> ApiResult<TerritoryFields> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::new("/name", "required", "a territory needs a name"));
    }
    let countries = names(input.countries, "/countries", str::to_uppercase, &mut errors);
    for (i, country) in countries.iter().enumerate() {
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(FieldError::new(format!("/countries/{i}"), "invalid_country", "an ISO 3166-1 alpha-2 code"));
        }
    }
    let regions = names(input.regions, "/regions", str::to_lowercase, &mut errors);
    let industries = names(input.industries, "/industries", str::to_lowercase, &mut errors);
    if let (Some(min), Some(max)) = (input.min_employees, input.max_employees)
        && min > max
    {
        errors.push(FieldError::new("/max_employees", "range", "must not be less than min_employees"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(owner) = &input.owner_id {
        crm_core::users::model::check_owner(conn, scope, owner)?;
    }
    Ok(TerritoryFields {
        name,
        countries,
        regions,
        industries,
        min_employees: input.min_employees,
        max_employees: input.max_employees,
        owner_id: input.owner_id,
        priority: input.priority.unwrap_or(100),
        active: input.active.unwrap_or(true),
    })
}

/// The first of `territories` (active, in order) that takes the company.
fn territory_for<'a>(
    territories: &'a [(Territory, TerritoryFields)],
    company: &crm_contacts::company::model::Company,
) -> Option<&'a (Territory, TerritoryFields)> {
    let facts = CompanyFacts::of(company);
    territories.iter().find(|(_, fields)| fields.takes(&facts))
}

fn active(conn: &mut DbConnection, org_id: &str) -> ApiResult<Vec<(Territory, TerritoryFields)>> {
    Ok(model::active(conn, org_id)?.into_iter().map(|t| (t.clone(), TerritoryFields::of(&t))).collect())
}

/// The (active) owner of the territory the company is in now, for a deal created for it
/// without one.
pub(crate) fn owner_for(conn: &mut DbConnection, scope: &Scope, company_id: &str) -> ApiResult<Option<String>> {
    let Some(company) = crm_contacts::company::model::find(conn, &scope.unrestricted(), company_id)? else {
        return Ok(None);
    };
    let territories = active(conn, scope.org_id())?;
    let Some(owner) = territory_for(&territories, &company).and_then(|(_, fields)| fields.owner_id.clone()) else {
        return Ok(None);
    };
    // An owner deactivated since is no owner: the deal falls back to the default.
    let user = crm_core::users::model::find(conn, scope, &owner)?;
    Ok(user.filter(|u| u.status == "active").map(|_| owner))
}

/// Queues the alignment of the organization's companies.
fn queue_alignment(conn: &mut DbConnection, actor: &Actor) -> ApiResult<String> {
    let empty = serde_json::json!({});
    crm_core::jobs::model::enqueue(conn, actor, ALIGN_KIND, &empty, &empty, 3)
}

/// The alignment job: every live company, [`ALIGN_CHUNK`] at a time. A company whose
/// territory (or that territory's owner) changed is recorded there and, when the territory has
/// an owner, it and its open deals go to that owner (`company.updated`, `deal.updated`). A
/// company whose territory did not change keeps the owner it has, set by hand or not.
///
/// Each deal moves in a transaction of its own, as a single edit would (a chunk holding many
/// deals' locks could deadlock with those edits); the company and its alignment go last, so a
/// job cut short moves the rest on its next run. Refused moves (a record out of the sight of
/// whoever queued the job, an owner deactivated since) keep their owner.
pub fn run_align(ctx: &crm_core::jobs::JobContext) -> Result<(), crm_core::jobs::JobError> {
    let org_id = ctx.actor.org_id.clone();
    let mut after = String::new();
    loop {
        let (companies, territories, aligned) = ctx.write(|conn| {
            let companies = crm_contacts::company::model::live_after(conn, &org_id, &after, ALIGN_CHUNK)?;
            let ids: Vec<&str> = companies.iter().map(|c| c.id.as_str()).collect();
            let aligned = model::alignments(conn, &org_id, &ids)?;
            Ok((companies, active(conn, &org_id)?, aligned))
        })?;
        let Some(last) = companies.last().map(|c| c.id.clone()) else { return Ok(()) };
        for company in &companies {
            let now = territory_for(&territories, company).map(|(t, f)| (t.id.as_str(), f.owner_id.as_deref()));
            let before = aligned
                .iter()
                .find(|a| a.company_id == company.id)
                .map(|a| (a.territory_id.as_str(), a.owner_id.as_deref()));
            if now == before {
                continue;
            }
            if let Some((_, Some(owner))) = now {
                let deals = ctx.write(|conn| crate::deal::model::open_of_company(conn, &org_id, &company.id, owner))?;
                for deal_id in deals {
                    ctx.write(|conn| {
                        refused(crate::deal::service::reassign(conn, &ctx.actor, &deal_id, owner), &deal_id)
                    })?;
                }
                if company.owner_id.as_deref() != Some(owner) {
                    let patch = crm_contacts::company::dto::CompanyPatch {
                        owner_id: Patch::Value(owner.to_string()),
                        ..Default::default()
                    };
                    ctx.write(|conn| {
                        let moved =
                            crm_contacts::company::service::update_in(conn, &ctx.actor, &company.id, patch, None);
                        refused(moved.map(|_| ()), &company.id)
                    })?;
                }
            }
            ctx.write(|conn| model::align(conn, &org_id, &company.id, now))?;
        }
        after = last;
    }
}

/// A refused move (4xx) is logged and left; its transaction rolled back alone.
fn refused(result: ApiResult<()>, id: &str) -> ApiResult<()> {
    match result {
        Err(e) if e.status.is_client_error() => {
            log::warn!("territory alignment left {id} with its owner: {}", e.detail);
            Ok(())
        }
        other => other,
    }
}

/// Queues the alignment now (it also runs hourly and after every territory change).
pub async fn align(state: &AppState, actor: &Actor) -> ApiResult<AlignmentQueued> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    let job_id = state.db.write(move |conn| queue_alignment(conn, &actor)).await?;
    Ok(AlignmentQueued { job_id })
}

pub async fn create(state: &AppState, actor: &Actor, input: TerritoryIn) -> ApiResult<TerritoryOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let fields = checked(conn, &scope, input)?;
            let id = crm_core::id::new_id(model::ID_PREFIX);
            model::save(conn, &scope, &id, &fields, false)?;
            queue_alignment(conn, &actor)?;
            TERRITORIES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<TerritoryOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: TerritoriesQuery) -> ApiResult<Page<TerritoryOut>> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &for_query)).await?;
    Ok(page(rows, &plan, |t| model::SORTS.position(&plan, t), out))
}

/// The companies the last alignment put in the territory.
pub async fn companies(
    state: &AppState,
    actor: &Actor,
    id: String,
    query: TerritoryCompaniesQuery,
) -> ApiResult<Page<TerritoryCompany>> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let plan = model::ALIGNMENT_SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state
        .db
        .read(move |conn| {
            load(conn, &scope, &id)?;
            model::companies_of(conn, &scope, &id, &for_query)
        })
        .await?;
    Ok(page(
        rows,
        &plan,
        |a| model::ALIGNMENT_SORTS.position(&plan, a),
        |a| TerritoryCompany { company_id: a.company_id, owner_id: a.owner_id, assigned_at: a.assigned_at },
    ))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: TerritoryPatch,
    if_match: Option<i64>,
) -> ApiResult<TerritoryOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TERRITORIES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let nulls = [
                    ("/name", patch.name == Patch::Null),
                    ("/priority", patch.priority == Patch::Null),
                    ("/active", patch.active == Patch::Null),
                ];
                if let Some((field, _)) = nulls.iter().find(|(_, null)| *null) {
                    return Err(ApiError::invalid_field(field, "required", "cannot be null"));
                }
                let mut draft = TerritoryIn {
                    name: before.name.clone(),
                    countries: Some(before.countries.clone()),
                    regions: Some(before.regions.clone()),
                    industries: Some(before.industries.clone()),
                    min_employees: before.min_employees,
                    max_employees: before.max_employees,
                    owner_id: before.owner_id.clone(),
                    priority: Some(before.priority),
                    active: Some(before.active),
                };
                if let Patch::Value(name) = patch.name {
                    draft.name = name;
                }
                patch.countries.apply_to(&mut draft.countries);
                patch.regions.apply_to(&mut draft.regions);
                patch.industries.apply_to(&mut draft.industries);
                patch.min_employees.apply_to(&mut draft.min_employees);
                patch.max_employees.apply_to(&mut draft.max_employees);
                patch.owner_id.apply_to(&mut draft.owner_id);
                patch.priority.apply_to(&mut draft.priority);
                patch.active.apply_to(&mut draft.active);
                validator::Validate::validate(&draft)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let scope = actor.scope();
                let fields = checked(conn, &scope, draft)?;
                let current = model::find(conn, &scope, &id)?.map(|t| TerritoryFields::of(&t));
                if current.as_ref() == Some(&fields) {
                    return Ok(Edit::Unchanged);
                }
                model::save(conn, &scope, &id, &fields, true)?;
                queue_alignment(conn, &actor)?;
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
            TERRITORIES.delete(conn, &actor, &id, if_match, |conn, _| {
                model::delete(conn, &actor.scope(), &id)?;
                queue_alignment(conn, &actor).map(|_| ())
            })?;
            Ok(())
        })
        .await
}
