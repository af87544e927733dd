//! `/v1/products`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{ProductIn, ProductOut, ProductPatch, ProductsQuery};
use super::service;

/// List products
#[utoipa::path(
    operation_id = "list_products", tag = "Products", params(ProductsQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of products", body = Page<ProductOut>))
)]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ProductsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a product
///
/// Admins and managers only.
#[utoipa::path(
    operation_id = "create_product", tag = "Products", request_body = ProductIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ProductOut, headers(("Location" = String, description = "The product's URL"))),
        (status = 409, description = "Another product has this SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ProductIn>,
) -> ApiResult<HttpResponse> {
    let product = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/products/{}", product.id)))
        .insert_header(etag(product.version))
        .json(product))
}

/// Get a product
#[utoipa::path(
    operation_id = "get_product", tag = "Products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id", example = "prod_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The product", body = ProductOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/products/{id}")]
pub async fn get_product(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let product = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(product.version)).json(product))
}

/// Update a product
#[utoipa::path(
    operation_id = "update_product", tag = "Products", request_body = ProductPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id"), IfMatch),
    responses(
        (status = 200, description = "The updated product", body = ProductOut),
        (status = 409, description = "Another product has this SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/products/{id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<ProductPatch>,
) -> ApiResult<HttpResponse> {
    let product = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(product.version)).json(product))
}

/// Delete a product
///
/// Only a product no deal, quote or order names; deactivate the others.
#[utoipa::path(
    operation_id = "delete_product", tag = "Products", security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "A line names the product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/products/{id}")]
pub async fn delete_product(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
