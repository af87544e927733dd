//! `/v1/api-keys`.

use actix_web::{HttpResponse, get, patch, post, web};

use super::dto::{ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeyPatch, ApiKeysQuery};
use super::service;
use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::http::{IfMatch, Page, ValidatedJson, etag};
use crate::state::AppState;

/// List API keys
#[utoipa::path(
    operation_id = "list_api_keys", tag = "API keys", params(ApiKeysQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of API keys (never their secrets)", body = Page<ApiKeyOut>),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ApiKeysQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create an API key
///
/// The response is the only time the secret `key` is shown.
#[utoipa::path(
    operation_id = "create_api_key", tag = "API keys", request_body = ApiKeyIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ApiKeyCreated, headers(("Location" = String, description = "The key's URL"))),
        (status = 403, description = "Admins only; no key above the creator's role", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This Idempotency-Key is in flight", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ApiKeyIn>,
) -> ApiResult<HttpResponse> {
    let created = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/api-keys/{}", created.api_key.id)))
        .insert_header(etag(created.api_key.version))
        .json(created))
}

/// Get an API key
#[utoipa::path(
    operation_id = "get_api_key", tag = "API keys", security(("bearer" = [])),
    params(("id" = String, Path, description = "API key id", example = "key_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The key (never its secret)", body = ApiKeyOut, headers(("ETag" = String, description = "The version"))),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api-keys/{id}")]
pub async fn get_api_key(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let key = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(key.version)).json(key))
}

/// Update an API key
#[utoipa::path(
    operation_id = "update_api_key", tag = "API keys", request_body = ApiKeyPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "API key id"), IfMatch),
    responses(
        (status = 200, description = "The updated key", body = ApiKeyOut),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key is revoked", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/api-keys/{id}")]
pub async fn update_api_key(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<ApiKeyPatch>,
) -> ApiResult<HttpResponse> {
    let key = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(key.version)).json(key))
}

/// Revoke an API key
///
/// The key stops working immediately. Revocation cannot be undone.
#[utoipa::path(
    operation_id = "revoke_api_key", tag = "API keys", security(("bearer" = [])),
    params(("id" = String, Path, description = "API key id"), IfMatch),
    responses(
        (status = 200, description = "The revoked key", body = ApiKeyOut),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api-keys/{id}/revoke")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = service::revoke(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(key.version)).json(key))
}
