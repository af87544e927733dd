//! `/v1/quotes`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{AcceptIn, QuoteIn, QuoteOut, QuotePatch, QuotesQuery, RejectIn};
use super::service;

/// List quotes
#[utoipa::path(
    operation_id = "list_quotes", tag = "Quotes", params(QuotesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of quotes", body = Page<QuoteOut>))
)]
#[get("/quotes")]
pub async fn list_quotes(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<QuotesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a quote
///
/// A draft for a deal, numbered `Q-0001`, … per organization without gaps (concurrent
/// creations included). Lines are priced from the price book, else the products' list prices,
/// in integer minor units: see the line item's fields for the rounding.
#[utoipa::path(
    operation_id = "create_quote", tag = "Quotes", request_body = QuoteIn, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = QuoteOut, headers(("Location" = String, description = "The quote's URL"))))
)]
#[post("/quotes")]
pub async fn create_quote(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<QuoteIn>,
) -> ApiResult<HttpResponse> {
    let quote = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/quotes/{}", quote.id)))
        .insert_header(etag(quote.version))
        .json(quote))
}

/// Get a quote
#[utoipa::path(
    operation_id = "get_quote", tag = "Quotes", security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id", example = "quote_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The quote", body = QuoteOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/quotes/{id}")]
pub async fn get_quote(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let quote = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(quote.version)).json(quote))
}

/// Update a draft quote
#[utoipa::path(
    operation_id = "update_quote", tag = "Quotes", request_body = QuotePatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id"), IfMatch),
    responses(
        (status = 200, description = "The updated quote", body = QuoteOut),
        (status = 409, description = "The quote is no longer a draft (`quote_not_draft`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/quotes/{id}")]
pub async fn update_quote(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<QuotePatch>,
) -> ApiResult<HttpResponse> {
    let quote = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(quote.version)).json(quote))
}

/// Delete a draft quote
#[utoipa::path(
    operation_id = "delete_quote", tag = "Quotes", security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The quote is no longer a draft", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/quotes/{id}")]
pub async fn delete_quote(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a quote
///
/// A draft with lines becomes `sent` (`quote.sent`) and can no longer change.
#[utoipa::path(
    operation_id = "send_quote", tag = "Quotes", security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id"), IfMatch),
    responses(
        (status = 200, description = "The sent quote", body = QuoteOut),
        (status = 409, description = "The quote is not a draft", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/quotes/{id}/send")]
pub async fn send_quote(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let quote = service::send(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(quote.version)).json(quote))
}

/// Accept a quote
///
/// A sent quote still valid becomes `accepted` (`quote.accepted`) and, unless
/// `create_order` is false, creates its order from its lines (`order.created`), in one
/// transaction.
#[utoipa::path(
    operation_id = "accept_quote", tag = "Quotes", request_body = AcceptIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id"), IfMatch),
    responses(
        (status = 200, description = "The accepted quote, with its `order_id`", body = QuoteOut),
        (status = 409, description = "The quote is not sent (`quote_not_sent`) or its date passed (`quote_expired`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/quotes/{id}/accept")]
pub async fn accept_quote(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<AcceptIn>,
) -> ApiResult<HttpResponse> {
    let quote = service::accept(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(quote.version)).json(quote))
}

/// Reject a quote
#[utoipa::path(
    operation_id = "reject_quote", tag = "Quotes", request_body = RejectIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Quote id"), IfMatch),
    responses(
        (status = 200, description = "The rejected quote", body = QuoteOut),
        (status = 409, description = "The quote is not sent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/quotes/{id}/reject")]
pub async fn reject_quote(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<RejectIn>,
) -> ApiResult<HttpResponse> {
    let quote = service::reject(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(quote.version)).json(quote))
}
