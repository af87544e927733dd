//! `/v1/contacts/duplicates`, `/v1/companies/duplicates`, `/v1/contacts/{id}/merge`.

use actix_web::{HttpResponse, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{DuplicatesOut, DuplicatesRequest, MergeOut, MergeRequest};
use super::service;
use crate::company::dto::CompanyIn;
use crate::contact::dto::ContactIn;

/// Find duplicate contacts
///
/// Without `inputs`: groups of contacts of the organization that are probably the same person,
/// each with a score and the reasons (same e-mail, similar e-mail such as a Gmail address with
/// dots or a `+tag`, same phone, similar name at the same company or e-mail domain, same name at
/// the same address). With `inputs`: the existing contacts each input probably is, to check
/// before creating. Changes nothing.
#[utoipa::path(
    operation_id = "find_duplicate_contacts", tag = "Contacts", request_body = DuplicatesRequest<ContactIn>, security(("bearer" = [])),
    responses(
        (status = 200, description = "Groups (or matches of the inputs), best first", body = DuplicatesOut),
    )
)]
#[post("/contacts/duplicates")]
pub async fn find_duplicate_contacts(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<DuplicatesRequest<ContactIn>>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::duplicates(&state, &actor, &service::CONTACTS, input.0).await?))
}

/// Find duplicate companies
///
/// Like contacts: same domain, a similar name at the same street address, the same name in the
/// same city. Two known, different addresses make a shared domain or phone a branch, not a
/// duplicate. Changes nothing.
#[utoipa::path(
    operation_id = "find_duplicate_companies", tag = "Companies", request_body = DuplicatesRequest<CompanyIn>, security(("bearer" = [])),
    responses(
        (status = 200, description = "Groups (or matches of the inputs), best first", body = DuplicatesOut),
    )
)]
#[post("/companies/duplicates")]
pub async fn find_duplicate_companies(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<DuplicatesRequest<CompanyIn>>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::duplicates(&state, &actor, &service::COMPANIES, input.0).await?))
}

/// Merge contacts into this one
///
/// Combines the contacts of `merge_ids` into this one (see `prefer`), moves their activities and
/// company links to it, and puts them in the trash with `merged_into` set: a GET on one answers
/// `301` with the survivor's URL. The audit log keeps every contact's history; the survivor's
/// `contact.merged` event lists `merged_ids`. `dry_run` shows the result and changes nothing.
#[utoipa::path(
    operation_id = "merge_contacts", tag = "Contacts", request_body = MergeRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "The surviving contact's id")),
    responses(
        (status = 200, description = "The merged contact", body = MergeOut),
        (status = 409, description = "A merged contact's e-mail or external id clashes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/contacts/{id}/merge")]
pub async fn merge_contacts(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    input: ValidatedJson<MergeRequest>,
) -> ApiResult<HttpResponse> {
    let merged = service::merge(&state, &actor, id.into_inner(), input.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(merged.contact.version)).json(merged))
}
