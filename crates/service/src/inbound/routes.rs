//! `/v1/service/inbound-email`.

use actix_web::{HttpResponse, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiError, ApiResult, Problem};
use crm_core::state::AppState;
use futures_util::StreamExt;

use super::dto::InboundResult;
use super::service::{self, MAX_MESSAGE_BYTES};

/// Receive an inbound e-mail
///
/// The raw RFC 5322 message (at most 25 MiB; any content type, `message/rfc822` or
/// `application/octet-stream`), as a mail provider's inbound
/// webhook or a mail server's pipe hands it over, with the organization's credentials. A reply
/// (`In-Reply-To`/`References` naming a message of a ticket's thread, or `[#<number>]` in the
/// subject from the ticket's requester) becomes a public comment on its ticket, reopening it
/// when solved; any other message opens a ticket (channel `email`) for its sender, whose
/// contact is created when unknown (which needs the right to write contacts). Attachments are
/// stored and listed on the comment. Auto-replies (`Auto-Submitted`), bulk mail
/// (`Precedence: bulk`, mailing lists), bounces (delivery status notifications) and the
/// platform's own messages are `ignored`; a message delivered again is a `duplicate`. A reply
/// to a closed ticket opens a new one.
#[utoipa::path(
    operation_id = "receive_inbound_email", tag = "Tickets", security(("bearer" = [])),
    request_body(content = super::dto::RawMessage, content_type = "application/octet-stream", description = "The raw message (sent as `application/octet-stream` or `message/rfc822`)", example = "From: Ada Lovelace <ada@example.com>\r\nTo: support@acme.example\r\nSubject: Cannot export invoices\r\nMessage-ID: <CAF1abc@mail.example.com>\r\n\r\nThe PDF export does nothing.\r\n"),
    responses(
        (status = 200, description = "What became of the message", body = InboundResult),
        (status = 400, description = "Not an RFC 5322 message, or one without a From address", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another message of a ticket's thread has this Message-ID", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 25 MiB", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/service/inbound-email")]
pub async fn receive_inbound_email(
    state: web::Data<AppState>,
    actor: Actor,
    mut body: web::Payload,
) -> ApiResult<HttpResponse> {
    let mut raw = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        if raw.len() + chunk.len() > MAX_MESSAGE_BYTES {
            return Err(ApiError::payload_too_large());
        }
        raw.extend_from_slice(&chunk);
    }
    Ok(HttpResponse::Ok().json(service::receive(&state, &actor, raw).await?))
}
