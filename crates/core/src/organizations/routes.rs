//! `/v1/organization`: the caller's organization.

use actix_web::{HttpResponse, get, patch, put, web};

use super::dto::{OrganizationOut, OrganizationPatch};
use super::service;
use super::visibility::{self, RecordVisibility, RecordVisibilityIn};
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

/// Get the record visibility rules
///
/// For every role but `admin` and every record type with owners: whether the role sees all of
/// the organization's records of that type, its teams' (owned by anyone in one of the user's
/// teams), or only its own. A record out of sight answers 404, like another organization's.
#[utoipa::path(
    operation_id = "get_record_visibility", tag = "Organization", security(("bearer" = [])),
    responses((status = 200, description = "Every role's visibility of every owned record type", body = RecordVisibility))
)]
#[get("/organization/record-visibility")]
pub async fn get_record_visibility(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(visibility::get(&state, &actor).await?))
}

/// Replace the record visibility rules
///
/// The rules given replace the current ones; a role and record type not listed sees `all`.
/// Applies at once to every request and job that reads records. Admins only.
#[utoipa::path(
    operation_id = "replace_record_visibility", tag = "Organization", request_body = RecordVisibilityIn, security(("bearer" = [])),
    responses((status = 200, description = "The rules now in force", body = RecordVisibility))
)]
#[put("/organization/record-visibility")]
pub async fn replace_record_visibility(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<RecordVisibilityIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(visibility::replace(&state, &actor, input.0).await?))
}
