//! `/v1/companies`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::filter::SearchRequest;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{CompaniesQuery, CompanyIn, CompanyOut, CompanyPatch};
use super::service;

/// List companies
#[utoipa::path(
    operation_id = "list_companies", tag = "Companies", params(CompaniesQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of companies", body = Page<CompanyOut>),
        (status = 422, description = "`filter` is not a filter of the filter language, or names an unknown field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/companies")]
pub async fn list_companies(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<CompaniesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a company
///
/// The domain is normalized (`https://www.Acme.example/` → `acme.example`); a domain another
/// company has is a 409.
#[utoipa::path(
    operation_id = "create_company", tag = "Companies", request_body = CompanyIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = CompanyOut, headers(("Location" = String, description = "The company's URL"))),
        (status = 409, description = "Another company has this domain or external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/companies")]
pub async fn create_company(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<CompanyIn>,
) -> ApiResult<HttpResponse> {
    let company = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/companies/{}", company.id)))
        .insert_header(etag(company.version))
        .json(company))
}

/// Get a company
#[utoipa::path(
    operation_id = "get_company", tag = "Companies", security(("bearer" = [])),
    params(("id" = String, Path, description = "Company id", example = "co_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The company", body = CompanyOut, headers(("ETag" = String, description = "The version"))),
    )
)]
#[get("/companies/{id}")]
pub async fn get_company(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let company = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(company.version)).json(company))
}

/// Update a company
#[utoipa::path(
    operation_id = "update_company", tag = "Companies", request_body = CompanyPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Company id"), IfMatch),
    responses(
        (status = 200, description = "The updated company", body = CompanyOut),
        (status = 409, description = "Another company has this domain or external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/companies/{id}")]
pub async fn update_company(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<CompanyPatch>,
) -> ApiResult<HttpResponse> {
    let company = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(company.version)).json(company))
}

/// Delete a company
///
/// Moves the company to the trash. A company with subsidiaries cannot be deleted.
#[utoipa::path(
    operation_id = "delete_company", tag = "Companies", security(("bearer" = [])),
    params(("id" = String, Path, description = "Company id"), IfMatch),
    responses(
        (status = 204, description = "Moved to the trash"),
        (status = 409, description = "The company has subsidiaries", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/companies/{id}")]
pub async fn delete_company(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Search companies
///
/// Filters with the filter language (`all` / `any` / `not` of `{"field", "op", "value"}`)
/// and free text; sorted and paged like the list.
#[utoipa::path(
    operation_id = "search_companies", tag = "Companies", request_body = SearchRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of matching companies", body = Page<CompanyOut>),
    )
)]
#[post("/companies/search")]
pub async fn search_companies(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SearchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::search(&state, &actor, input.0).await?))
}
