//! `/v1/webhook-endpoints`: CRUD, secret rotation, test events.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{EndpointIn, EndpointOut, EndpointPatch, EndpointWithSecret, EndpointsQuery, RotateIn};
use super::service;
use crate::delivery::dto::DeliveryOut;

/// List webhook endpoints
#[utoipa::path(
    operation_id = "list_webhook_endpoints", tag = "Webhooks", params(EndpointsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of endpoints", body = Page<EndpointOut>),
    )
)]
#[get("/webhook-endpoints")]
pub async fn list_webhook_endpoints(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<EndpointsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a webhook endpoint
///
/// Events of the chosen types that happen from now on are delivered to it, signed to the
/// Standard Webhooks specification with the `secret` in the answer (shown this once).
#[utoipa::path(
    operation_id = "create_webhook_endpoint", tag = "Webhooks", request_body = EndpointIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created, with its signing secret", body = EndpointWithSecret,
            headers(("Location" = String, description = "The endpoint's URL"))),
    )
)]
#[post("/webhook-endpoints")]
pub async fn create_webhook_endpoint(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<EndpointIn>,
) -> ApiResult<HttpResponse> {
    let created = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/webhook-endpoints/{}", created.endpoint.id)))
        .insert_header(etag(created.endpoint.version))
        .json(created))
}

/// Get a webhook endpoint
#[utoipa::path(
    operation_id = "get_webhook_endpoint", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointOut, headers(("ETag" = String, description = "The version"))),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints/{id}")]
pub async fn get_webhook_endpoint(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let endpoint = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(endpoint.version)).json(endpoint))
}

/// Update a webhook endpoint
///
/// Enabling a disabled endpoint resumes delivery: its pending deliveries, and the events that
/// happen from then on.
#[utoipa::path(
    operation_id = "update_webhook_endpoint", tag = "Webhooks", request_body = EndpointPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a"), IfMatch),
    responses(
        (status = 200, description = "The updated endpoint", body = EndpointOut),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhook-endpoints/{id}")]
pub async fn update_webhook_endpoint(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<EndpointPatch>,
) -> ApiResult<HttpResponse> {
    let endpoint = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(endpoint.version)).json(endpoint))
}

/// Delete a webhook endpoint
///
/// Deletes it with its deliveries; nothing more is sent to it.
#[utoipa::path(
    operation_id = "delete_webhook_endpoint", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhook-endpoints/{id}")]
pub async fn delete_webhook_endpoint(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate an endpoint's secret
///
/// A new signing secret (in the answer, shown this once). For `overlap_seconds` the old one
/// signs too: each delivery carries both signatures, so receivers can switch without a gap.
#[utoipa::path(
    operation_id = "rotate_webhook_endpoint_secret", tag = "Webhooks", request_body = RotateIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The endpoint with its new secret", body = EndpointWithSecret),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{id}/rotate-secret")]
pub async fn rotate_webhook_endpoint_secret(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    input: ValidatedJson<RotateIn>,
) -> ApiResult<HttpResponse> {
    let rotated = service::rotate_secret(&state, &actor, id.into_inner(), input.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(rotated.endpoint.version)).json(rotated))
}

/// Send a test event
///
/// Delivers a `webhook.test` event to this endpoint alone, like any other event (signed,
/// retried); follow it in the endpoint's deliveries.
#[utoipa::path(
    operation_id = "test_webhook_endpoint", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 202, description = "The test delivery, due now", body = DeliveryOut),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{id}/test")]
pub async fn test_webhook_endpoint(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let delivery: DeliveryOut = service::send_test(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
