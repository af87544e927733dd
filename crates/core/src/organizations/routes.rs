//! `/v1/organization`: the caller's organization.

use actix_web::{HttpResponse, get, patch, web};

use super::dto::{OrganizationOut, OrganizationPatch};
use super::service;
use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::http::{IfMatch, ValidatedJson, etag};
use crate::state::AppState;

/// Get the caller's organization
#[utoipa::path(
    operation_id = "get_organization", tag = "Organization", security(("bearer" = [])),
    responses((status = 200, description = "The organization and its settings", body = OrganizationOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/organization")]
pub async fn get_organization(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let org = service::get(&state, &actor).await?;
    Ok(HttpResponse::Ok().insert_header(etag(org.version)).json(org))
}

/// Update the caller's organization
///
/// The name and `phone_region`, where national phone numbers are read from then on (stored
/// numbers are already in E.164 and do not change). Admins only.
#[utoipa::path(
    operation_id = "update_organization", tag = "Organization", request_body = OrganizationPatch, security(("bearer" = [])),
    params(IfMatch),
    responses(
        (status = 200, description = "The updated organization", body = OrganizationOut),
        (status = 403, description = "Only admins change the organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/organization")]
pub async fn update_organization(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    input: ValidatedJson<OrganizationPatch>,
) -> ApiResult<HttpResponse> {
    let org = service::update(&state, &actor, input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(org.version)).json(org))
}
