//! `/v1/tickets/{id}/comments`.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, get, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{CommentAdded, CommentIn, CommentOut, CommentsQuery};
use super::service;

/// Comment on a ticket
///
/// A `public` reply is e-mailed to the requester (when they have an e-mail address), from the
/// job queue, threaded under the ticket's earlier messages (`In-Reply-To`, `References`) with
/// `[#<number>]` in its subject; `mail_message_id` names the message. An `internal` note is for
/// agents only. Unless `status` says otherwise, a public reply opens a `new` ticket and reopens
/// a `solved` one. A closed ticket takes no comments (409 `ticket_closed`).
#[utoipa::path(
    operation_id = "create_ticket_comment", tag = "Tickets", request_body = CommentIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id", example = "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 201, description = "The comment, and the ticket as it left it", body = CommentAdded, headers(("Location" = String, description = "The comment's URL"))),
        (status = 409, description = "The ticket is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty body, a status the ticket cannot move to, or a requester erased meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{id}/comments")]
pub async fn create_ticket_comment(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    input: ValidatedJson<CommentIn>,
) -> ApiResult<HttpResponse> {
    let ticket_id = id.into_inner();
    let added = service::add(&state, &actor, ticket_id.clone(), input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/tickets/{ticket_id}/comments/{}", added.comment.id)))
        .insert_header(etag(added.ticket.version))
        .json(added))
}

/// List a ticket's comments
///
/// Public replies and internal notes, oldest first.
#[utoipa::path(
    operation_id = "list_ticket_comments", tag = "Tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id"), CommentsQuery),
    responses((status = 200, description = "A page of comments", body = Page<CommentOut>))
)]
#[get("/tickets/{id}/comments")]
pub async fn list_ticket_comments(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<CommentsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, id.into_inner(), query.into_inner()).await?))
}

/// Get a ticket's comment
#[utoipa::path(
    operation_id = "get_ticket_comment", tag = "Tickets", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Ticket id"),
        ("comment_id" = String, Path, description = "Comment id", example = "tcm_01jbz3m3x7f6ks6q0vd1tq2n5e"),
    ),
    responses((status = 200, description = "The comment", body = CommentOut))
)]
#[get("/tickets/{id}/comments/{comment_id}")]
pub async fn get_ticket_comment(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (ticket_id, comment_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::get(&state, &actor, ticket_id, comment_id).await?))
}

/// Download a comment's attachment
#[utoipa::path(
    operation_id = "get_ticket_comment_attachment", tag = "Tickets", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Ticket id"),
        ("comment_id" = String, Path, description = "Comment id"),
        ("file_id" = String, Path, description = "The attachment's `file_id`", example = "file_01jbz3m3x7f6ks6q0vd1tq2n5d"),
    ),
    responses((status = 200, description = "The file, as it came", content_type = "application/octet-stream", body = Vec<u8>))
)]
#[get("/tickets/{id}/comments/{comment_id}/attachments/{file_id}")]
pub async fn get_ticket_comment_attachment(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (ticket_id, comment_id, file_id) = path.into_inner();
    let (shown, file) = service::attachment(&state, &actor, ticket_id, comment_id, file_id).await?;
    let body = crm_core::files::download_stream(state.db.clone(), actor.scope(), file.id, file.chunk_count);
    let disposition = format!("attachment; filename=\"{}\"", shown.filename.replace(['"', '\\', '\r', '\n'], "_"));
    // A type as the sender wrote it goes out only when it looks like one.
    let plain = |c: char| c.is_ascii_alphanumeric() || "/+-.;=_ ".contains(c);
    let content_type = match shown.content_type.contains('/') && shown.content_type.chars().all(plain) {
        true => shown.content_type,
        false => "application/octet-stream".to_string(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CONTENT_DISPOSITION, disposition))
        .no_chunking(file.size_bytes.max(0) as u64)
        .streaming(body))
}
