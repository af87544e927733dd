//! `/v1/sla-policies`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{SlaPoliciesQuery, SlaPolicyIn, SlaPolicyOut, SlaPolicyPatch};
use super::service;

/// List SLA policies
///
/// In the order they are tried (`position`).
#[utoipa::path(
    operation_id = "list_sla_policies", tag = "SLAs", params(SlaPoliciesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of policies", body = Page<SlaPolicyOut>))
)]
#[get("/sla-policies")]
pub async fn list_sla_policies(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SlaPoliciesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create an SLA policy
///
/// Tickets created or changed from now on that match it (and no policy before it) get its
/// targets. Admins and managers only.
#[utoipa::path(
    operation_id = "create_sla_policy", tag = "SLAs", request_body = SlaPolicyIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = SlaPolicyOut, headers(("Location" = String, description = "The policy's URL"))),
        (status = 422, description = "No target, a filter that is not one, or an unknown team", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sla-policies")]
pub async fn create_sla_policy(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SlaPolicyIn>,
) -> ApiResult<HttpResponse> {
    let policy = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/sla-policies/{}", policy.id)))
        .insert_header(etag(policy.version))
        .json(policy))
}

/// The scan's job, queued.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"job_id": "job_01jbz3m3x7f6ks6q0vd1tq2n5a"}))]
pub struct ScanQueued {
    pub job_id: String,
}

/// Scan for SLA warnings and breaches now
///
/// Queues the scan (it also runs every minute): every ticket with a warning or a breach due
/// gets it announced (`ticket.sla_warning`, `ticket.sla_breached`) and a breach escalated as its
/// policy says.
#[utoipa::path(
    operation_id = "scan_sla", tag = "SLAs", security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = ScanQueued))
)]
#[post("/sla-policies/scan")]
pub async fn scan_sla(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let job_id = service::scan_now(&state, &actor).await?;
    Ok(HttpResponse::Accepted().json(ScanQueued { job_id }))
}

/// Get an SLA policy
#[utoipa::path(
    operation_id = "get_sla_policy", tag = "SLAs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Policy id", example = "sla_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The policy", body = SlaPolicyOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/sla-policies/{id}")]
pub async fn get_sla_policy(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let policy = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(policy.version)).json(policy))
}

/// Update an SLA policy
///
/// Tickets keep the due times they have until they change.
#[utoipa::path(
    operation_id = "update_sla_policy", tag = "SLAs", request_body = SlaPolicyPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Policy id"), IfMatch),
    responses((status = 200, description = "The updated policy", body = SlaPolicyOut))
)]
#[patch("/sla-policies/{id}")]
pub async fn update_sla_policy(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<SlaPolicyPatch>,
) -> ApiResult<HttpResponse> {
    let policy = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(policy.version)).json(policy))
}

/// Delete an SLA policy
///
/// Tickets keep the due times it gave them; nothing more is announced about them.
#[utoipa::path(
    operation_id = "delete_sla_policy", tag = "SLAs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Policy id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/sla-policies/{id}")]
pub async fn delete_sla_policy(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
