//! `/v1/price-books`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{PriceBookIn, PriceBookOut, PriceBookPatch, PriceBooksQuery};
use super::service;

/// List price books
#[utoipa::path(
    operation_id = "list_price_books", tag = "Products", params(PriceBooksQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of price books", body = Page<PriceBookOut>))
)]
#[get("/price-books")]
pub async fn list_price_books(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<PriceBooksQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a price book
#[utoipa::path(
    operation_id = "create_price_book", tag = "Products", request_body = PriceBookIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PriceBookOut, headers(("Location" = String, description = "The price book's URL"))),
        (status = 409, description = "Another price book has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/price-books")]
pub async fn create_price_book(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<PriceBookIn>,
) -> ApiResult<HttpResponse> {
    let book = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/price-books/{}", book.id)))
        .insert_header(etag(book.version))
        .json(book))
}

/// Get a price book
#[utoipa::path(
    operation_id = "get_price_book", tag = "Products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Price book id", example = "pb_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The price book", body = PriceBookOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/price-books/{id}")]
pub async fn get_price_book(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let book = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(book.version)).json(book))
}

/// Update a price book
#[utoipa::path(
    operation_id = "update_price_book", tag = "Products", request_body = PriceBookPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Price book id"), IfMatch),
    responses(
        (status = 200, description = "The updated price book", body = PriceBookOut),
        (status = 409, description = "Another price book has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/price-books/{id}")]
pub async fn update_price_book(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<PriceBookPatch>,
) -> ApiResult<HttpResponse> {
    let book = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(book.version)).json(book))
}

/// Delete a price book
#[utoipa::path(
    operation_id = "delete_price_book", tag = "Products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Price book id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/price-books/{id}")]
pub async fn delete_price_book(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
