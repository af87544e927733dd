//! `/v1/contacts`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::filter::SearchRequest;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{BatchRequest, BatchResponse, ContactIn, ContactOut, ContactPatch, ContactsQuery};
use super::service;
use crate::dedupe::dto::MergedOut;

/// List contacts
#[utoipa::path(
    operation_id = "list_contacts", tag = "Contacts", params(ContactsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of contacts", body = Page<ContactOut>),
        (status = 422, description = "`filter` is not a filter of the filter language, or names an unknown field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ContactsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a contact
///
/// E-mails are lower-cased and phones stored in E.164; an e-mail another contact already has is a 409.
#[utoipa::path(
    operation_id = "create_contact", tag = "Contacts", request_body = ContactIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ContactOut, headers(("Location" = String, description = "The contact's URL"))),
        (status = 409, description = "Another contact has one of these e-mails or external ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/contacts")]
pub async fn create_contact(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ContactIn>,
) -> ApiResult<HttpResponse> {
    let contact = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/contacts/{}", contact.id)))
        .insert_header(etag(contact.version))
        .json(contact))
}

/// Create or update a contact by external id
///
/// Finds the contact holding `source:external_id` and sets the fields given; creates it when
/// there is none. 201 when created, 200 when updated.
#[utoipa::path(
    operation_id = "upsert_contact_by_external_id", tag = "Contacts", request_body = ContactIn, security(("bearer" = [])),
    params(
        ("source" = String, Path, description = "The integration's name: a-z, 0-9, _ and -", example = "shopify"),
        ("external_id" = String, Path, description = "The contact's id in that system", example = "7712"),
    ),
    responses(
        (status = 200, description = "Updated", body = ContactOut),
        (status = 201, description = "Created", body = ContactOut, headers(("Location" = String, description = "The contact's URL"))),
        (status = 409, description = "Another contact has one of these e-mails or external ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/external-ids/{source}/{external_id}/contact")]
pub async fn upsert_contact_by_external_id(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    input: ValidatedJson<ContactIn>,
) -> ApiResult<HttpResponse> {
    let (source, external_id) = path.into_inner();
    let (contact, created) = service::upsert_by_external_id(&state, &actor, source, external_id, input.0).await?;
    let mut response = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    if created {
        response.insert_header(("Location", format!("/v1/contacts/{}", contact.id)));
    }
    Ok(response.insert_header(etag(contact.version)).json(contact))
}

/// Get a contact
#[utoipa::path(
    operation_id = "get_contact", tag = "Contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id", example = "con_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The contact", body = ContactOut, headers(("ETag" = String, description = "The version"))),
        (status = 301, description = "The contact was merged into another: `Location` is the survivor's URL", body = MergedOut, headers(("Location" = String, description = "The surviving contact's URL"))),
    )
)]
#[get("/contacts/{id}")]
pub async fn get_contact(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    match service::get(&state, &actor, id.clone()).await {
        Ok(contact) => Ok(HttpResponse::Ok().insert_header(etag(contact.version)).json(contact)),
        Err(missing) if missing.status == StatusCode::NOT_FOUND => {
            match crate::dedupe::service::merged_into(&state, &actor, id).await? {
                Some(survivor) => Ok(HttpResponse::MovedPermanently()
                    .insert_header(("Location", format!("/v1/contacts/{survivor}")))
                    .json(MergedOut { merged_into: survivor })),
                None => Err(missing),
            }
        }
        Err(e) => Err(e),
    }
}

/// Update a contact
///
/// A JSON merge patch: absent fields stay, `null` clears, lists are replaced whole.
#[utoipa::path(
    operation_id = "update_contact", tag = "Contacts", request_body = ContactPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id"), IfMatch),
    responses(
        (status = 200, description = "The updated contact", body = ContactOut),
        (status = 409, description = "Another contact has one of these e-mails or external ids", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/contacts/{id}")]
pub async fn update_contact(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<ContactPatch>,
) -> ApiResult<HttpResponse> {
    let contact = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(contact.version)).json(contact))
}

/// Delete a contact
///
/// Moves the contact to the trash; `POST /v1/contacts/{id}/restore` brings it back.
#[utoipa::path(
    operation_id = "delete_contact", tag = "Contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id"), IfMatch),
    responses(
        (status = 204, description = "Moved to the trash"),
    )
)]
#[delete("/contacts/{id}")]
pub async fn delete_contact(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a deleted contact
#[utoipa::path(
    operation_id = "restore_contact", tag = "Contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The restored contact", body = ContactOut),
        (status = 409, description = "Another contact took one of its e-mails or external ids meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/contacts/{id}/restore")]
pub async fn restore_contact(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let contact = service::restore(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(contact.version)).json(contact))
}

/// Search contacts
///
/// Filters with the filter language (`all` / `any` / `not` of `{"field", "op", "value"}`)
/// and free text; sorted and paged like the list.
#[utoipa::path(
    operation_id = "search_contacts", tag = "Contacts", request_body = SearchRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of matching contacts", body = Page<ContactOut>),
    )
)]
#[post("/contacts/search")]
pub async fn search_contacts(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SearchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::search(&state, &actor, input.0).await?))
}

/// Create, update or upsert contacts in a batch
///
/// Up to 1,000 inputs, matched on `email`, `external_id:<source>` or `id`. Each input succeeds
/// or fails on its own (per-input results), unless `atomic` asks for all or nothing.
#[utoipa::path(
    operation_id = "batch_contacts", tag = "Contacts", request_body = BatchRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "Per-input results", body = BatchResponse),
    )
)]
#[post("/contacts/batch")]
pub async fn batch_contacts(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<BatchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::batch(&state, &actor, input.0).await?))
}
