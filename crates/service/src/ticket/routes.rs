//! `/v1/tickets`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use crm_contacts::timeline::dto::{TimelineItem, TimelineQuery};
use crm_contacts::timeline::service::{self as timelines, Subject};
use crm_core::audit::dto::AuditEntryOut;
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::filter::SearchRequest;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{TicketBatchRequest, TicketIn, TicketOut, TicketPatch, TicketsQuery};
use super::model::RECORD_TYPE;
use super::service;

/// List tickets
#[utoipa::path(
    operation_id = "list_tickets", tag = "Tickets", params(TicketsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of tickets", body = Page<TicketOut>),
        (status = 422, description = "`filter` is not a filter of the filter language, or names an unknown field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets")]
pub async fn list_tickets(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<TicketsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a ticket
///
/// The ticket gets the organization's next number. A ticket cannot be created `closed`.
#[utoipa::path(
    operation_id = "create_ticket", tag = "Tickets", request_body = TicketIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = TicketOut, headers(("Location" = String, description = "The ticket's URL"))),
        (status = 409, description = "Another ticket has this external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets")]
pub async fn create_ticket(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<TicketIn>,
) -> ApiResult<HttpResponse> {
    let ticket = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/tickets/{}", ticket.id)))
        .insert_header(etag(ticket.version))
        .json(ticket))
}

/// Create, update or upsert tickets in a batch
///
/// Up to 1,000 inputs. With `match_on` (`id` or `external_id:<source>`) an update or upsert
/// finds the ticket an input means and sets the fields it gives. Each input commits or fails on
/// its own and has its result; with `atomic`, one failure fails the whole batch (422
/// `batch_failed`) and nothing is saved.
#[utoipa::path(
    operation_id = "batch_tickets", tag = "Tickets", request_body = TicketBatchRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Per-input results", body = crm_core::batch::BatchResponse),
        (status = 422, description = "No inputs or more than 1,000, a bad `match_on`, or an atomic batch with a failing input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/batch")]
pub async fn batch_tickets(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<TicketBatchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::batch(&state, &actor, input.0).await?))
}

/// Create or update a ticket by external id
///
/// Finds the ticket holding `source:external_id` and sets the fields given; creates it when
/// there is none. 201 when created, 200 when updated.
#[utoipa::path(
    operation_id = "upsert_ticket_by_external_id", tag = "Tickets", request_body = TicketIn, security(("bearer" = [])),
    params(
        ("source" = String, Path, description = "The integration's name: a-z, 0-9, _ and -", example = "zendesk"),
        ("external_id" = String, Path, description = "The ticket's id in that system", example = "4711"),
    ),
    responses(
        (status = 200, description = "Updated", body = TicketOut),
        (status = 201, description = "Created", body = TicketOut, headers(("Location" = String, description = "The ticket's URL"))),
        (status = 409, description = "The ticket is closed, or another ticket has one of these external ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/external-ids/{source}/{external_id}/ticket")]
pub async fn upsert_ticket_by_external_id(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    input: ValidatedJson<TicketIn>,
) -> ApiResult<HttpResponse> {
    let (source, external_id) = path.into_inner();
    let (ticket, created) = service::upsert_by_external_id(&state, &actor, source, external_id, input.0).await?;
    Ok(if created {
        HttpResponse::Created()
            .insert_header(("Location", format!("/v1/tickets/{}", ticket.id)))
            .insert_header(etag(ticket.version))
            .json(ticket)
    } else {
        HttpResponse::Ok().insert_header(etag(ticket.version)).json(ticket)
    })
}

/// An agent's queue
///
/// Their unsolved tickets (new, open, pending, on hold), the soonest resolution due first, those
/// without an SLA after them: what to work next. Default: the caller's own.
#[utoipa::path(
    operation_id = "get_ticket_queue", tag = "Tickets", params(super::dto::QueueQuery), security(("bearer" = [])),
    responses((status = 200, description = "The queue", body = Vec<TicketOut>))
)]
#[get("/tickets/queue")]
pub async fn get_ticket_queue(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<super::dto::QueueQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::queue(&state, &actor, query.into_inner()).await?))
}

/// Get a ticket
#[utoipa::path(
    operation_id = "get_ticket", tag = "Tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id", example = "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The ticket", body = TicketOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/tickets/{id}")]
pub async fn get_ticket(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let ticket = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(ticket.version)).json(ticket))
}

/// Update a ticket
///
/// Statuses move forward: nothing goes back to `new`, only a `solved` ticket closes, a
/// `solved` one reopens to `open` (422 `invalid_transition` otherwise). A closed ticket is
/// read-only (409 `ticket_closed`). The event is `ticket.status_changed` when the status moved,
/// `ticket.assigned` when the assignee or team did, else `ticket.updated`.
#[utoipa::path(
    operation_id = "update_ticket", tag = "Tickets", request_body = TicketPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id"), IfMatch),
    responses(
        (status = 200, description = "The updated ticket", body = TicketOut),
        (status = 409, description = "The ticket is closed, or another ticket has one of these external ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/tickets/{id}")]
pub async fn update_ticket(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<TicketPatch>,
) -> ApiResult<HttpResponse> {
    let ticket = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(ticket.version)).json(ticket))
}

/// Delete a ticket
///
/// Moves the ticket to the trash.
#[utoipa::path(
    operation_id = "delete_ticket", tag = "Tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id"), IfMatch),
    responses((status = 204, description = "Moved to the trash"))
)]
#[delete("/tickets/{id}")]
pub async fn delete_ticket(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a ticket
#[utoipa::path(
    operation_id = "restore_ticket", tag = "Tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id")),
    responses(
        (status = 200, description = "The restored ticket", body = TicketOut),
        (status = 409, description = "Another ticket took one of its external ids meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{id}/restore")]
pub async fn restore_ticket(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ticket = service::restore(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(ticket.version)).json(ticket))
}

/// Search tickets
///
/// Filters with the filter language and free text (the number and subject); sorted and paged
/// like the list.
#[utoipa::path(
    operation_id = "search_tickets", tag = "Tickets", request_body = SearchRequest, security(("bearer" = [])),
    responses((status = 200, description = "A page of matching tickets", body = Page<TicketOut>))
)]
#[post("/tickets/search")]
pub async fn search_tickets(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SearchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::search(&state, &actor, input.0).await?))
}

/// A ticket's timeline
///
/// Activities about the ticket and changes to it (comments included), newest first.
#[utoipa::path(
    operation_id = "get_ticket_timeline", tag = "Tickets", params(("id" = String, Path, description = "Ticket id"), TimelineQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of timeline items", body = Page<TimelineItem>))
)]
#[get("/tickets/{id}/timeline")]
pub async fn get_ticket_timeline(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: RECORD_TYPE, id: id.into_inner() };
    Ok(HttpResponse::Ok().json(timelines::timeline(&state, &actor, subject, query.into_inner()).await?))
}

/// A ticket's field history
#[utoipa::path(
    operation_id = "get_ticket_history", tag = "Tickets", params(("id" = String, Path, description = "Ticket id"), TimelineQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of changes", body = Page<AuditEntryOut>))
)]
#[get("/tickets/{id}/history")]
pub async fn get_ticket_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: RECORD_TYPE, id: id.into_inner() };
    Ok(HttpResponse::Ok().json(timelines::history(&state, &actor, subject, query.into_inner()).await?))
}
