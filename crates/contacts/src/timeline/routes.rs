//! `/v1/contacts/{id}/timeline`, `/v1/contacts/{id}/history` and the same for companies.

use actix_web::{HttpResponse, get, web};
use crm_core::audit::dto::AuditEntryOut;
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::Page;
use crm_core::state::AppState;

use super::dto::{TimelineItem, TimelineQuery};
use super::service::{self, Subject};

/// A contact's timeline
///
/// Activities about the contact and changes to its fields, newest first.
#[utoipa::path(
    operation_id = "get_contact_timeline", tag = "Contacts", params(("id" = String, Path, description = "Contact id"), TimelineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of timeline items", body = Page<TimelineItem>),
    )
)]
#[get("/contacts/{id}/timeline")]
pub async fn get_contact_timeline(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: "contact", id: id.into_inner() };
    Ok(HttpResponse::Ok().json(service::timeline(&state, &actor, subject, query.into_inner()).await?))
}

/// A contact's field history
///
/// Every change to the contact, field by field, newest first.
#[utoipa::path(
    operation_id = "get_contact_history", tag = "Contacts", params(("id" = String, Path, description = "Contact id"), TimelineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of changes", body = Page<AuditEntryOut>),
    )
)]
#[get("/contacts/{id}/history")]
pub async fn get_contact_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: "contact", id: id.into_inner() };
    Ok(HttpResponse::Ok().json(service::history(&state, &actor, subject, query.into_inner()).await?))
}

/// A company's timeline
///
/// Activities about the company and changes to its fields, newest first.
#[utoipa::path(
    operation_id = "get_company_timeline", tag = "Companies", params(("id" = String, Path, description = "Company id"), TimelineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of timeline items", body = Page<TimelineItem>),
    )
)]
#[get("/companies/{id}/timeline")]
pub async fn get_company_timeline(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: "company", id: id.into_inner() };
    Ok(HttpResponse::Ok().json(service::timeline(&state, &actor, subject, query.into_inner()).await?))
}

/// A company's field history
#[utoipa::path(
    operation_id = "get_company_history", tag = "Companies", params(("id" = String, Path, description = "Company id"), TimelineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of changes", body = Page<AuditEntryOut>),
    )
)]
#[get("/companies/{id}/history")]
pub async fn get_company_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: "company", id: id.into_inner() };
    Ok(HttpResponse::Ok().json(service::history(&state, &actor, subject, query.into_inner()).await?))
}
