//! `/v1/contacts/{id}/companies`.

use actix_web::{HttpResponse, delete, get, put, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::ValidatedJson;
use crm_core::state::AppState;

use super::dto::{ContactCompanies, LinkIn, LinkOut};
use super::service;

/// List a contact's companies
#[utoipa::path(
    operation_id = "list_contact_companies", tag = "Contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The companies, primary first", body = ContactCompanies),
    )
)]
#[get("/contacts/{id}/companies")]
pub async fn list_contact_companies(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list_for_contact(&state, &actor, id.into_inner()).await?))
}

/// Link a contact to a company
///
/// Creates the link or changes its role and primary flag. Marking it primary makes the
/// contact's other links non-primary.
#[utoipa::path(
    operation_id = "link_contact_company", tag = "Contacts", request_body = LinkIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id"), ("company_id" = String, Path, description = "Company id")),
    responses(
        (status = 200, description = "The link", body = LinkOut),
    )
)]
#[put("/contacts/{id}/companies/{company_id}")]
pub async fn link_contact_company(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    input: ValidatedJson<LinkIn>,
) -> ApiResult<HttpResponse> {
    let (contact_id, company_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::link(&state, &actor, contact_id, company_id, input.0).await?))
}

/// Unlink a contact from a company
#[utoipa::path(
    operation_id = "unlink_contact_company", tag = "Contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id"), ("company_id" = String, Path, description = "Company id")),
    responses(
        (status = 204, description = "Unlinked"),
    )
)]
#[delete("/contacts/{id}/companies/{company_id}")]
pub async fn unlink_contact_company(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (contact_id, company_id) = path.into_inner();
    service::unlink(&state, &actor, contact_id, company_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
