//! `GET /v1/events`: the changes feed.

use actix_web::{HttpResponse, get, web};

use super::catalog::{EventTypeList, EventTypeOut};
use super::dto::{EventPage, EventsQuery, StreamQuery};
use super::service;
use crate::auth::{Action, Actor, Resource};
use crate::error::{ApiError, ApiResult, Problem};
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

/// List the event types (the event catalog)
///
/// Every type of event the product emits, each with the schema of its `data.object`. The
/// contract's top-level `webhooks` section holds each type's whole payload, with an example.
#[utoipa::path(
    operation_id = "list_event_types",
    tag = "Events",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event catalog, sorted by type", body = EventTypeList),
        (status = 401, description = "Missing or invalid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role or key scope does not allow reading events", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/event-types")]
pub async fn list_event_types(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    actor.require(Resource::EVENTS, Action::Read)?;
    let data = crate::registry::event_types(state.domains).iter().map(EventTypeOut::from).collect();
    Ok(HttpResponse::Ok().json(EventTypeList { data }))
}

/// Stream events live (Server-Sent Events)
///
/// The changes feed as a `text/event-stream`: each event as `id: <seq>`, `event: <type>`,
/// `data: <event JSON>`; a comment line as a heartbeat when nothing happens. A client that
/// reconnects with `Last-Event-ID` resumes after the last event it saw, missing nothing; a
/// position older than the retention period is answered 410.
#[utoipa::path(
    operation_id = "stream_events",
    tag = "Events",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "The `seq` of the last event received: resume after it"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An endless stream of events", content_type = "text/event-stream", body = String,
            example = json!("id: 1042\nevent: contact.created\ndata: {\"id\":\"evt_01jbz3m3x7f6ks6q0vd1tq2n5a\",\"seq\":1042,\"type\":\"contact.created\"}\n\n")),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role or key scope does not allow reading events", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The position is older than the retention period", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events/stream")]
pub async fn stream_events(
    state: web::Data<AppState>,
    actor: Actor,
    request: actix_web::HttpRequest,
    query: web::Query<StreamQuery>,
) -> ApiResult<HttpResponse> {
    actor.require(Resource::EVENTS, Action::Read)?;
    let query = query.into_inner();
    let resume = match request.headers().get("last-event-id") {
        Some(value) => {
            Some(value.to_str().ok().and_then(|v| v.trim().parse::<i64>().ok()).filter(|v| *v >= 0).ok_or_else(
                || ApiError::bad_request("invalid_last_event_id", "Last-Event-ID must be the seq of an event."),
            )?)
        }
        None => query.after,
    };
    let heartbeat = std::time::Duration::from_secs(query.heartbeat.unwrap_or(15));
    if !(1..=60).contains(&heartbeat.as_secs()) {
        return Err(ApiError::bad_request("invalid_heartbeat", "heartbeat must be 1 to 60 seconds."));
    }
    let events = service::stream(state.db.clone(), actor, resume, query.types.as_deref(), heartbeat).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(events))
}
