//! `/v1/quotas`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{QuotaIn, QuotaOut, QuotaPatch, QuotasQuery};
use super::service;

/// List quotas
///
/// Each with its attainment: the user's won deals closing in the period, in the organization's
/// currency.
#[utoipa::path(
    operation_id = "list_quotas", tag = "Forecasts", params(QuotasQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of quotas", body = Page<QuotaOut>))
)]
#[get("/quotas")]
pub async fn list_quotas(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<QuotasQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a quota
///
/// One per user and period. Admins and managers only.
#[utoipa::path(
    operation_id = "create_quota", tag = "Forecasts", request_body = QuotaIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = QuotaOut, headers(("Location" = String, description = "The quota's URL"))),
        (status = 409, description = "The user has a quota for the period", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/quotas")]
pub async fn create_quota(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<QuotaIn>,
) -> ApiResult<HttpResponse> {
    let quota = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/quotas/{}", quota.id)))
        .insert_header(etag(quota.version))
        .json(quota))
}

/// Get a quota
#[utoipa::path(
    operation_id = "get_quota", tag = "Forecasts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Quota id", example = "quota_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The quota", body = QuotaOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/quotas/{id}")]
pub async fn get_quota(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let quota = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(quota.version)).json(quota))
}

/// Change a quota's amount
#[utoipa::path(
    operation_id = "update_quota", tag = "Forecasts", request_body = QuotaPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Quota id"), IfMatch),
    responses((status = 200, description = "The updated quota", body = QuotaOut))
)]
#[patch("/quotas/{id}")]
pub async fn update_quota(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<QuotaPatch>,
) -> ApiResult<HttpResponse> {
    let quota = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(quota.version)).json(quota))
}

/// Delete a quota
#[utoipa::path(
    operation_id = "delete_quota", tag = "Forecasts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Quota id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/quotas/{id}")]
pub async fn delete_quota(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
