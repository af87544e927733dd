//! `/v1/orders`, and the purchase history of contacts and companies.

use actix_web::{HttpResponse, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{OrderIn, OrderOut, OrderPatch, OrdersQuery, PurchaseHistory};
use super::service::{self, Customer};

/// List orders
#[utoipa::path(
    operation_id = "list_orders", tag = "Orders", params(OrdersQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of orders", body = Page<OrderOut>))
)]
#[get("/orders")]
pub async fn list_orders(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<OrdersQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create an order
///
/// Numbered `O-0001`, … per organization without gaps; its lines priced like a quote's.
#[utoipa::path(
    operation_id = "create_order", tag = "Orders", request_body = OrderIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = OrderOut, headers(("Location" = String, description = "The order's URL"))),
        (status = 409, description = "Another order has this external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders")]
pub async fn create_order(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<OrderIn>,
) -> ApiResult<HttpResponse> {
    let order = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/orders/{}", order.id)))
        .insert_header(etag(order.version))
        .json(order))
}

/// Get an order
#[utoipa::path(
    operation_id = "get_order", tag = "Orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id", example = "ord_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The order", body = OrderOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/orders/{id}")]
pub async fn get_order(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let order = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(order.version)).json(order))
}

/// Update an order
///
/// Its status (`order.cancelled` when it becomes cancelled), customer, deal or external ids.
#[utoipa::path(
    operation_id = "update_order", tag = "Orders", request_body = OrderPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id"), IfMatch),
    responses(
        (status = 200, description = "The updated order", body = OrderOut),
        (status = 409, description = "Another order has this external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/orders/{id}")]
pub async fn update_order(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<OrderPatch>,
) -> ApiResult<HttpResponse> {
    let order = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(order.version)).json(order))
}

/// A contact's purchase history
///
/// Order count, revenue, average order value, first and last order by currency, and the
/// latest orders.
#[utoipa::path(
    operation_id = "get_contact_purchases", tag = "Orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses((status = 200, description = "The purchase history", body = PurchaseHistory))
)]
#[get("/contacts/{id}/purchases")]
pub async fn get_contact_purchases(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::purchases(&state, &actor, Customer::Contact, id.into_inner()).await?))
}

/// A company's purchase history
#[utoipa::path(
    operation_id = "get_company_purchases", tag = "Orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "Company id")),
    responses((status = 200, description = "The purchase history", body = PurchaseHistory))
)]
#[get("/companies/{id}/purchases")]
pub async fn get_company_purchases(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::purchases(&state, &actor, Customer::Company, id.into_inner()).await?))
}
