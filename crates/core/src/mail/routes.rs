//! `/v1/mail/messages`: send a message, and the log of every message sent.

use actix_web::{HttpResponse, get, post, web};

use super::dto::{MailIn, MailOut, MailQuery};
use super::model::{self, Filters};
use super::{Outgoing, queue};
use crate::auth::{Action, Actor, Resource};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{Page, ValidatedJson, page};
use crate::state::AppState;

/// Send an e-mail
///
/// Records the message and queues it: the answer is `202` with the message `queued`; it is sent
/// over the deployment's SMTP server (`CRM_SMTP_URL`, from `CRM_MAIL_FROM`) by the job queue,
/// which retries temporary failures. `GET /v1/mail/messages/{id}` shows how it went (`sent`
/// with the server's answer, or `failed` with the error). An erased person is not written to
/// (422 `erased_recipient`).
#[utoipa::path(
    operation_id = "send_mail_message", tag = "Mail", request_body = MailIn, security(("bearer" = [])),
    responses(
        (status = 202, description = "Recorded and queued", body = MailOut, headers(("Location" = String, description = "The message's URL"))),
        (status = 403, description = "Read-only users may not send e-mail", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A recipient, the subject, the text or a Message-ID is not acceptable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/mail/messages")]
pub async fn send_mail_message(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<MailIn>,
) -> ApiResult<HttpResponse> {
    actor.require(Resource::MAIL, Action::Write)?;
    let input = input.0;
    let record = match (input.record_type, input.record_id) {
        (Some(record_type), Some(record_id)) => Some((record_type, record_id)),
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid_field(
                "/record_id",
                "incomplete_record",
                "give record_type and record_id together",
            ));
        }
    };
    let outgoing = Outgoing {
        to: input.to,
        subject: input.subject,
        text: input.text,
        html: input.html,
        in_reply_to: input.in_reply_to,
        references: input.references,
        record,
    };
    let (config, keys) = (state.config.clone(), state.keys.clone());
    let message = state.db.write(move |conn| queue(conn, &keys, &actor, &config, outgoing)).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/v1/mail/messages/{}", message.id)))
        .json(MailOut::from(message)))
}

/// List sent e-mail
///
/// Every message the organization sent or is sending, newest first.
#[utoipa::path(
    operation_id = "list_mail_messages", tag = "Mail", params(MailQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of messages", body = Page<MailOut>),
        (status = 400, description = "An unknown status or a bad cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admins and managers only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/mail/messages")]
pub async fn list_mail_messages(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<MailQuery>,
) -> ApiResult<HttpResponse> {
    actor.require(Resource::MAIL, Action::Read)?;
    let query = query.into_inner();
    if query.status.as_deref().is_some_and(|s| !model::STATUSES.contains(&s)) {
        return Err(ApiError::bad_request("invalid_query", "status must be queued, sent or failed."));
    }
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters { status: query.status, record_type: query.record_type, record_id: query.record_id };
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &filters, &for_query)).await?;
    let page = page(rows, &plan, |m| model::SORTS.position(&plan, m), MailOut::from);
    Ok(HttpResponse::Ok().json(page))
}

/// Get a sent e-mail
#[utoipa::path(
    operation_id = "get_mail_message", tag = "Mail", security(("bearer" = [])),
    params(("id" = String, Path, description = "Message id", example = "msg_01jbz3m3x7f6ks6q0vd1tq2n5c")),
    responses(
        (status = 200, description = "The message and how its sending went", body = MailOut),
        (status = 403, description = "Admins and managers only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message in the organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/mail/messages/{id}")]
pub async fn get_mail_message(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    actor.require(Resource::MAIL, Action::Read)?;
    let (scope, id) = (actor.scope(), id.into_inner());
    let message = state
        .db
        .read(move |conn| model::find(conn, &scope, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(HttpResponse::Ok().json(MailOut::from(message)))
}
