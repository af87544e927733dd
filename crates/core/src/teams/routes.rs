//! `/v1/teams`.

use actix_web::{HttpResponse, delete, get, patch, post, web};

use super::dto::{TeamIn, TeamOut, TeamPatch, TeamsQuery};
use super::service;
use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::http::{IfMatch, Page, ValidatedJson, etag};
use crate::state::AppState;

/// List teams
#[utoipa::path(
    operation_id = "list_teams", tag = "Teams", params(TeamsQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of teams", body = Page<TeamOut>))
)]
#[get("/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<TeamsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a team
///
/// Admins only. A user may be in several teams.
#[utoipa::path(
    operation_id = "create_team", tag = "Teams", request_body = TeamIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = TeamOut, headers(("Location" = String, description = "The team's URL"))),
        (status = 409, description = "Another team has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<TeamIn>,
) -> ApiResult<HttpResponse> {
    let team = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/teams/{}", team.id)))
        .insert_header(etag(team.version))
        .json(team))
}

/// Get a team
#[utoipa::path(
    operation_id = "get_team", tag = "Teams", security(("bearer" = [])),
    params(("id" = String, Path, description = "Team id", example = "team_01jbz3m3x7f6ks6q0vd1tq2n5c")),
    responses((status = 200, description = "The team", body = TeamOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/teams/{id}")]
pub async fn get_team(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let team = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(team.version)).json(team))
}

/// Update a team
///
/// `member_ids` replaces the members. Admins only.
#[utoipa::path(
    operation_id = "update_team", tag = "Teams", request_body = TeamPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Team id"), IfMatch),
    responses(
        (status = 200, description = "The updated team", body = TeamOut),
        (status = 409, description = "Another team has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<TeamPatch>,
) -> ApiResult<HttpResponse> {
    let team = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(team.version)).json(team))
}

/// Delete a team
///
/// Its members stay users and keep the records they own. Admins only.
#[utoipa::path(
    operation_id = "delete_team", tag = "Teams", security(("bearer" = [])),
    params(("id" = String, Path, description = "Team id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/teams/{id}")]
pub async fn delete_team(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
