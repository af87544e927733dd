//! `GET /v1/events`: the changes feed.

use actix_web::{HttpResponse, get, web};

use super::dto::{EventPage, EventsQuery};
use super::service;
use crate::auth::{Action, Actor, Resource};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

/// List events in order (the changes feed)
///
/// Every change in the organization, in the order it became visible. Page with `after`;
/// a reader that follows `next_after` never misses an event. `wait` long-polls.
#[utoipa::path(
    operation_id = "list_events",
    tag = "Events",
    params(EventsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events after the given position", body = EventPage),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role or key scope does not allow reading events", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<EventsQuery>,
) -> ApiResult<HttpResponse> {
    actor.require(Resource::EVENTS, Action::Read)?;
    let page = service::feed(&state.db, &actor, query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}
