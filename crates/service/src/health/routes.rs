//! `/v1/companies/{id}/health` and `/v1/health-settings`.

use actix_web::{HttpResponse, get, post, put, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::{ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{HealthOut, HealthSettingsIn, HealthSettingsOut};
use super::service;

/// A company's health
///
/// Its score (0–100) and band (healthy 70+, at risk 40–69, critical under 40) with each
/// component: ticket volume trend, CSAT, NPS, engagement recency (overdue invoices count once
/// accounting data exists). Recomputed when the company's tickets change and nightly.
#[utoipa::path(
    operation_id = "get_company_health", tag = "Surveys", security(("bearer" = [])),
    params(("id" = String, Path, description = "Company id", example = "co_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The health", body = HealthOut))
)]
#[get("/companies/{id}/health")]
pub async fn get_company_health(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, &actor, id.into_inner()).await?))
}

/// Recompute a company's health now
#[utoipa::path(
    operation_id = "recompute_company_health", tag = "Surveys", security(("bearer" = [])),
    params(("id" = String, Path, description = "Company id", example = "co_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The health", body = HealthOut))
)]
#[post("/companies/{id}/health/recompute")]
pub async fn recompute_company_health(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::recompute(&state, &actor, id.into_inner()).await?))
}

/// Get the health weights
#[utoipa::path(
    operation_id = "get_health_settings", tag = "Surveys", security(("bearer" = [])),
    responses((status = 200, description = "The weights", body = HealthSettingsOut))
)]
#[get("/health-settings")]
pub async fn get_health_settings(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let settings = service::get_settings(&state, &actor).await?;
    Ok(HttpResponse::Ok().insert_header(etag(settings.version)).json(settings))
}

/// Set the health weights
///
/// Admins and managers only; scores follow on their next computation.
#[utoipa::path(
    operation_id = "set_health_settings", tag = "Surveys", request_body = HealthSettingsIn, security(("bearer" = [])),
    responses((status = 200, description = "The weights", body = HealthSettingsOut))
)]
#[put("/health-settings")]
pub async fn set_health_settings(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<HealthSettingsIn>,
) -> ApiResult<HttpResponse> {
    let settings = service::put_settings(&state, &actor, input.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(settings.version)).json(settings))
}
