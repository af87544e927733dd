//! `/v1/business-hours`.

use actix_web::{HttpResponse, get, put, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{BusinessHoursIn, BusinessHoursOut};
use super::service;

/// Get the business hours
///
/// The weekly open periods in the organization's time zone and its holidays: what SLA targets
/// counted in business time count. Until set, business time is calendar time.
#[utoipa::path(
    operation_id = "get_business_hours", tag = "SLAs", security(("bearer" = [])),
    responses((status = 200, description = "The business hours", body = BusinessHoursOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/business-hours")]
pub async fn get_business_hours(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let hours = service::get(&state, &actor).await?;
    Ok(HttpResponse::Ok().insert_header(etag(hours.version)).json(hours))
}

/// Set the business hours
///
/// Replaces them whole. Admins and managers only. Due times already counted stay; later ones
/// count in the new hours.
#[utoipa::path(
    operation_id = "set_business_hours", tag = "SLAs", request_body = BusinessHoursIn, params(IfMatch), security(("bearer" = [])),
    responses(
        (status = 200, description = "The business hours", body = BusinessHoursOut),
        (status = 422, description = "An unknown time zone, a bad time or date, or overlapping periods", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/business-hours")]
pub async fn set_business_hours(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    input: ValidatedJson<BusinessHoursIn>,
) -> ApiResult<HttpResponse> {
    let hours = service::put(&state, &actor, input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(hours.version)).json(hours))
}
