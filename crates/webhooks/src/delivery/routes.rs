//! `/v1/webhook-endpoints/{id}/deliveries` and redelivery.

use actix_web::{HttpResponse, get, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{Page, ValidatedJson};
use crm_core::state::AppState;

use super::dto::{DeliveriesQuery, DeliveryOut, RecoverIn, RecoverOut};
use super::service;

/// List an endpoint's deliveries
///
/// Each event sent (or to be sent) to the endpoint, with every attempt: its time, the
/// receiver's status, latency and first KiB of answer, the error, and the next retry time.
#[utoipa::path(
    operation_id = "list_webhook_deliveries", tag = "Webhooks", params(
        ("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a"),
        DeliveriesQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryOut>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhook-endpoints/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, id.into_inner(), query.into_inner()).await?))
}

/// Redeliver a delivery
///
/// Sends the delivery's event again now, with the same `webhook-id`, whatever its state
/// (unless an attempt is in flight: 409).
#[utoipa::path(
    operation_id = "retry_webhook_delivery", tag = "Webhooks", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a"),
        ("delivery_id" = String, Path, description = "Delivery id", example = "whdel_01jbz3m3x7f6ks6q0vd1tq2n5a"),
    ),
    responses(
        (status = 202, description = "Due now", body = DeliveryOut),
        (status = 404, description = "No such endpoint or delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The delivery is being attempted right now", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{id}/deliveries/{delivery_id}/retry")]
pub async fn retry_webhook_delivery(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, delivery_id) = path.into_inner();
    Ok(HttpResponse::Accepted().json(service::retry(&state, &actor, id, delivery_id).await?))
}

/// Recover failed deliveries
///
/// Sends again every delivery of the endpoint, created since `since`, that failed for good
/// (after its whole retry schedule), in their original order per record.
#[utoipa::path(
    operation_id = "recover_webhook_endpoint", tag = "Webhooks", request_body = RecoverIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Endpoint id", example = "whep_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "How many deliveries are due again", body = RecoverOut),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhook-endpoints/{id}/recover")]
pub async fn recover_webhook_endpoint(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    input: ValidatedJson<RecoverIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::recover(&state, &actor, id.into_inner(), input.0).await?))
}
