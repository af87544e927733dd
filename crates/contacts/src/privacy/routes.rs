//! `/v1/contacts/{id}/personal-data`, `/v1/contacts/{id}/erase`, `/v1/erased-emails/release`.

use actix_web::{HttpResponse, get, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::ValidatedJson;
use crm_core::state::AppState;

use super::dto::{ErasureOut, PersonalDataOut, ReleaseIn};
use super::service;

/// Export everything held about a contact
///
/// One JSON document: the contact, its company links, activities, consents, subscriptions,
/// suppression entries and its whole change history. Admins and managers; works on contacts in
/// the trash too.
#[utoipa::path(
    operation_id = "get_contact_personal_data", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "Everything held about the person", body = PersonalDataOut),
        (status = 403, description = "Not allowed (admins and managers only)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/contacts/{id}/personal-data")]
pub async fn get_contact_personal_data(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::export(&state, &actor, id.into_inner()).await?))
}

/// Erase a contact
///
/// Anonymizes the person everywhere, for good: the contact keeps its id (so counts stay right)
/// but loses its names, e-mails, phones, addresses, tags, external ids, company links, consents
/// and subscriptions; activities about the person are scrubbed; earlier audit entries and events
/// are redacted. Each e-mail is kept as a keyed hash, so creating a contact with it again is a 409
/// `erased_contact`. Emits `contact.erased`. Admins only.
#[utoipa::path(
    operation_id = "erase_contact", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "Erased: what was done, in counts", body = ErasureOut),
        (status = 403, description = "Not allowed (admins only)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The contact was erased already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/contacts/{id}/erase")]
pub async fn erase_contact(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::erase(&state, &actor, id.into_inner()).await?))
}

/// Accept an erased person's e-mail again
///
/// Forgets the keyed hash kept of an erased e-mail: contacts may be created with it again.
/// The explicit opt-in for re-importing a person who was erased. Admins only.
#[utoipa::path(
    operation_id = "release_erased_email", tag = "Privacy", request_body = ReleaseIn, security(("bearer" = [])),
    responses(
        (status = 204, description = "Released"),
        (status = 403, description = "Not allowed (admins only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No erased contact had this e-mail", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/erased-emails/release")]
pub async fn release_erased_email(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ReleaseIn>,
) -> ApiResult<HttpResponse> {
    service::release(&state, &actor, input.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
