//! `/v1/territories`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{
    AlignmentQueued, TerritoriesQuery, TerritoryCompaniesQuery, TerritoryCompany, TerritoryIn, TerritoryOut,
    TerritoryPatch,
};
use super::service;

/// List territories
///
/// In the order they are tried: priority, lowest first.
#[utoipa::path(
    operation_id = "list_territories", tag = "Territories", params(TerritoriesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of territories", body = Page<TerritoryOut>))
)]
#[get("/territories")]
pub async fn list_territories(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<TerritoriesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a territory
///
/// A company belongs to the first active territory, by priority, whose criteria (countries and
/// regions of its addresses, industry, employee count) it all meets. Creating, changing or
/// deleting a territory queues the alignment of every company. Admins and managers only.
#[utoipa::path(
    operation_id = "create_territory", tag = "Territories", request_body = TerritoryIn, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = TerritoryOut, headers(("Location" = String, description = "The territory's URL"))))
)]
#[post("/territories")]
pub async fn create_territory(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<TerritoryIn>,
) -> ApiResult<HttpResponse> {
    let territory = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/territories/{}", territory.id)))
        .insert_header(etag(territory.version))
        .json(territory))
}

/// Align companies to territories
///
/// Queues the alignment job now (it also runs hourly and after every territory change): every
/// company whose territory, or that territory's owner, changed is recorded in it and, when the
/// territory has an owner, the company and its open deals go to that owner.
#[utoipa::path(
    operation_id = "align_territories", tag = "Territories", security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = AlignmentQueued))
)]
#[post("/territories/align")]
pub async fn align_territories(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(service::align(&state, &actor).await?))
}

/// Get a territory
#[utoipa::path(
    operation_id = "get_territory", tag = "Territories", security(("bearer" = [])),
    params(("id" = String, Path, description = "Territory id", example = "terr_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The territory", body = TerritoryOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/territories/{id}")]
pub async fn get_territory(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let territory = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(territory.version)).json(territory))
}

/// List a territory's companies
///
/// The companies the last alignment put in the territory.
#[utoipa::path(
    operation_id = "list_territory_companies", tag = "Territories", params(("id" = String, Path, description = "Territory id"), TerritoryCompaniesQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of companies", body = Page<TerritoryCompany>))
)]
#[get("/territories/{id}/companies")]
pub async fn list_territory_companies(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TerritoryCompaniesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::companies(&state, &actor, id.into_inner(), query.into_inner()).await?))
}

/// Update a territory
#[utoipa::path(
    operation_id = "update_territory", tag = "Territories", request_body = TerritoryPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Territory id"), IfMatch),
    responses((status = 200, description = "The updated territory", body = TerritoryOut))
)]
#[patch("/territories/{id}")]
pub async fn update_territory(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<TerritoryPatch>,
) -> ApiResult<HttpResponse> {
    let territory = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(territory.version)).json(territory))
}

/// Delete a territory
///
/// Its companies leave it (they keep their owners) and the alignment is queued.
#[utoipa::path(
    operation_id = "delete_territory", tag = "Territories", security(("bearer" = [])),
    params(("id" = String, Path, description = "Territory id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/territories/{id}")]
pub async fn delete_territory(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
