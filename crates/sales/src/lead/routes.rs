//! `/v1/leads`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use crm_contacts::timeline::dto::{TimelineItem, TimelineQuery};
use crm_contacts::timeline::service::{self as timelines, Subject};
use crm_core::audit::dto::AuditEntryOut;
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::filter::SearchRequest;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{Conversion, ConvertIn, LeadBatchRequest, LeadIn, LeadOut, LeadPatch, LeadsQuery};
use super::model::RECORD_TYPE;
use super::service;

/// List leads
#[utoipa::path(
    operation_id = "list_leads", tag = "Leads", params(LeadsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of leads", body = Page<LeadOut>),
        (status = 422, description = "`filter` is not a filter of the filter language, or names an unknown field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leads")]
pub async fn list_leads(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<LeadsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a lead
#[utoipa::path(
    operation_id = "create_lead", tag = "Leads", request_body = LeadIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = LeadOut, headers(("Location" = String, description = "The lead's URL"))),
        (status = 409, description = "Another lead has this external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads")]
pub async fn create_lead(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<LeadIn>,
) -> ApiResult<HttpResponse> {
    let lead = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/leads/{}", lead.id)))
        .insert_header(etag(lead.version))
        .json(lead))
}

/// Create, update or upsert leads in a batch
///
/// Up to 1,000 inputs. With `match_on` (`email`, `id` or `external_id:<source>`) an update or
/// upsert finds the lead an input means and sets the fields it gives. Each input commits or
/// fails on its own and has its result (201-like `created`, `updated`, `unchanged` or `error`
/// with a problem whose pointers are under `/inputs/<i>/properties`); with `atomic`, one
/// failure fails the whole batch (422 `batch_failed`) and nothing is saved.
#[utoipa::path(
    operation_id = "batch_leads", tag = "Leads", request_body = LeadBatchRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Per-input results", body = crm_core::batch::BatchResponse),
        (status = 422, description = "No inputs or more than 1,000, a bad `match_on`, or an atomic batch with a failing input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/batch")]
pub async fn batch_leads(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<LeadBatchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::batch(&state, &actor, input.0).await?))
}

/// Create or update a lead by external id
///
/// Finds the lead holding `source:external_id` and sets the fields given; creates it when
/// there is none. 201 when created, 200 when updated.
#[utoipa::path(
    operation_id = "upsert_lead_by_external_id", tag = "Leads", request_body = LeadIn, security(("bearer" = [])),
    params(
        ("source" = String, Path, description = "The integration's name: a-z, 0-9, _ and -", example = "marketo"),
        ("external_id" = String, Path, description = "The lead's id in that system", example = "L-99"),
    ),
    responses(
        (status = 200, description = "Updated", body = LeadOut),
        (status = 201, description = "Created", body = LeadOut, headers(("Location" = String, description = "The lead's URL"))),
        (status = 409, description = "The lead was converted, or another lead has one of these external ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/external-ids/{source}/{external_id}/lead")]
pub async fn upsert_lead_by_external_id(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    input: ValidatedJson<LeadIn>,
) -> ApiResult<HttpResponse> {
    let (source, external_id) = path.into_inner();
    let (lead, created) = service::upsert_by_external_id(&state, &actor, source, external_id, input.0).await?;
    Ok(if created {
        HttpResponse::Created()
            .insert_header(("Location", format!("/v1/leads/{}", lead.id)))
            .insert_header(etag(lead.version))
            .json(lead)
    } else {
        HttpResponse::Ok().insert_header(etag(lead.version)).json(lead)
    })
}

/// Get a lead
#[utoipa::path(
    operation_id = "get_lead", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Lead id", example = "lead_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The lead", body = LeadOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/leads/{id}")]
pub async fn get_lead(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let lead = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(lead.version)).json(lead))
}

/// Update a lead
///
/// A converted lead is read-only (409 `lead_converted`).
#[utoipa::path(
    operation_id = "update_lead", tag = "Leads", request_body = LeadPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Lead id"), IfMatch),
    responses(
        (status = 200, description = "The updated lead", body = LeadOut),
        (status = 409, description = "The lead was converted, or another lead has one of these external ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/leads/{id}")]
pub async fn update_lead(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<LeadPatch>,
) -> ApiResult<HttpResponse> {
    let lead = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(lead.version)).json(lead))
}

/// Delete a lead
///
/// Moves the lead to the trash.
#[utoipa::path(
    operation_id = "delete_lead", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Lead id"), IfMatch),
    responses((status = 204, description = "Moved to the trash"))
)]
#[delete("/leads/{id}")]
pub async fn delete_lead(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a lead
#[utoipa::path(
    operation_id = "restore_lead", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Lead id")),
    responses(
        (status = 200, description = "The restored lead", body = LeadOut),
        (status = 409, description = "Another lead took one of its external ids meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/restore")]
pub async fn restore_lead(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let lead = service::restore(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(lead.version)).json(lead))
}

/// Convert a lead
///
/// In one transaction: links the contact with the lead's e-mail or creates one, links the
/// company with its domain (or name) or creates one, links the contact to it, creates a deal
/// when `deal` is given, carries the lead's activities over to all of them, and marks the lead
/// converted (read-only from then on; `lead.converted`).
#[utoipa::path(
    operation_id = "convert_lead", tag = "Leads", request_body = ConvertIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Lead id"), IfMatch),
    responses(
        (status = 200, description = "What the lead became", body = Conversion),
        (status = 409, description = "The lead was already converted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/convert")]
pub async fn convert_lead(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<ConvertIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::convert(&state, &actor, id.into_inner(), input.0, if_match.0).await?))
}

/// Search leads
///
/// Filters with the filter language and free text; sorted and paged like the list.
#[utoipa::path(
    operation_id = "search_leads", tag = "Leads", request_body = SearchRequest, security(("bearer" = [])),
    responses((status = 200, description = "A page of matching leads", body = Page<LeadOut>))
)]
#[post("/leads/search")]
pub async fn search_leads(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SearchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::search(&state, &actor, input.0).await?))
}

/// A lead's timeline
///
/// Activities about the lead and changes to its fields, newest first.
#[utoipa::path(
    operation_id = "get_lead_timeline", tag = "Leads", params(("id" = String, Path, description = "Lead id"), TimelineQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of timeline items", body = Page<TimelineItem>))
)]
#[get("/leads/{id}/timeline")]
pub async fn get_lead_timeline(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: RECORD_TYPE, id: id.into_inner() };
    Ok(HttpResponse::Ok().json(timelines::timeline(&state, &actor, subject, query.into_inner()).await?))
}

/// A lead's field history
#[utoipa::path(
    operation_id = "get_lead_history", tag = "Leads", params(("id" = String, Path, description = "Lead id"), TimelineQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of changes", body = Page<AuditEntryOut>))
)]
#[get("/leads/{id}/history")]
pub async fn get_lead_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: RECORD_TYPE, id: id.into_inner() };
    Ok(HttpResponse::Ok().json(timelines::history(&state, &actor, subject, query.into_inner()).await?))
}
