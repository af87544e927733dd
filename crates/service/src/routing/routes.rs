//! `/v1/teams/{id}/ticket-routing`.

use actix_web::{HttpResponse, get, put, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::{ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{RoutingIn, RoutingOut};
use super::service;

/// Get a team's ticket routing
#[utoipa::path(
    operation_id = "get_ticket_routing", tag = "Tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Team id", example = "team_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "How the team takes new tickets", body = RoutingOut))
)]
#[get("/teams/{id}/ticket-routing")]
pub async fn get_ticket_routing(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let routing = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(routing.version)).json(routing))
}

/// Set a team's ticket routing
///
/// A ticket created for the team without an assignee (or handed to it by an SLA escalation)
/// goes to the next active member in turn (`round_robin`), to the one with the fewest unsolved
/// tickets (`least_open`), or waits (`manual`). Admins and managers only.
#[utoipa::path(
    operation_id = "set_ticket_routing", tag = "Tickets", request_body = RoutingIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, description = "How the team takes new tickets", body = RoutingOut))
)]
#[put("/teams/{id}/ticket-routing")]
pub async fn set_ticket_routing(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    input: ValidatedJson<RoutingIn>,
) -> ApiResult<HttpResponse> {
    let routing = service::put(&state, &actor, id.into_inner(), input.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(routing.version)).json(routing))
}
