//! `/v1/contacts/{id}/consents`.

use actix_web::{HttpResponse, get, put, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::ValidatedJson;
use crm_core::state::AppState;

use super::dto::{ConsentIn, ConsentOut, ContactConsents};
use super::service;

/// List a contact's consents
///
/// One entry per channel (`email`, `sms`, `phone`); `unknown` where nothing was recorded.
#[utoipa::path(
    operation_id = "list_contact_consents", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The consent on every channel", body = ContactConsents),
    )
)]
#[get("/contacts/{id}/consents")]
pub async fn list_contact_consents(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, id.into_inner()).await?))
}

/// Record a contact's consent on a channel
///
/// Replaces the channel's consent; the previous one stays in the contact's history.
/// Withdrawing or denying e-mail consent suppresses the contact's e-mail addresses; granting it
/// lifts their `unsubscribed` suppressions.
#[utoipa::path(
    operation_id = "set_contact_consent", tag = "Privacy", request_body = ConsentIn, security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Contact id"),
        ("channel" = String, Path, description = "`email`, `sms` or `phone`", example = "email"),
    ),
    responses(
        (status = 200, description = "The consent now recorded", body = ConsentOut),
    )
)]
#[put("/contacts/{id}/consents/{channel}")]
pub async fn set_contact_consent(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    input: ValidatedJson<ConsentIn>,
) -> ApiResult<HttpResponse> {
    let (id, channel) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::set(&state, &actor, id, channel, input.0).await?))
}
