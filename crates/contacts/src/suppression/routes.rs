//! `/v1/email-suppressions`.

use actix_web::{HttpResponse, delete, get, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{Page, ValidatedJson};
use crm_core::state::AppState;

use super::dto::{SuppressionIn, SuppressionOut, SuppressionsQuery};
use super::service;

/// List suppressed e-mail addresses
#[utoipa::path(
    operation_id = "list_email_suppressions", tag = "Privacy", params(SuppressionsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of suppressed addresses, oldest first", body = Page<SuppressionOut>),
    )
)]
#[get("/email-suppressions")]
pub async fn list_email_suppressions(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SuppressionsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Suppress an e-mail address
///
/// Marketing will not write to it. One entry per address: an address already on the list is a 409.
#[utoipa::path(
    operation_id = "create_email_suppression", tag = "Privacy", request_body = SuppressionIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Suppressed", body = SuppressionOut, headers(("Location" = String, description = "The entry's URL"))),
        (status = 409, description = "The address is already suppressed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/email-suppressions")]
pub async fn create_email_suppression(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SuppressionIn>,
) -> ApiResult<HttpResponse> {
    let entry = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/v1/email-suppressions/{}", entry.id))).json(entry))
}

/// Get a suppressed e-mail address
#[utoipa::path(
    operation_id = "get_email_suppression", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Suppression id", example = "sup_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The entry", body = SuppressionOut),
    )
)]
#[get("/email-suppressions/{id}")]
pub async fn get_email_suppression(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, &actor, id.into_inner()).await?))
}

/// Remove an address from the suppression list
#[utoipa::path(
    operation_id = "delete_email_suppression", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Suppression id")),
    responses(
        (status = 204, description = "Removed: marketing may write to the address again"),
    )
)]
#[delete("/email-suppressions/{id}")]
pub async fn delete_email_suppression(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
