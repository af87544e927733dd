//! `/v1/exports`.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, get, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::ValidatedJson;
use crm_core::state::AppState;

use super::dto::{ExportIn, ExportOut};
use super::service;

/// Start an export
///
/// Writes the contacts matching a filter (the filter language of search; all contacts
/// without one) to a CSV with the columns asked for, in a background job: poll the export,
/// then download it.
#[utoipa::path(
    operation_id = "create_export", tag = "Exports", request_body = ExportIn, security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued", body = ExportOut, headers(("Location" = String, description = "The export's URL"))),
    )
)]
#[post("/exports")]
pub async fn create_export(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ExportIn>,
) -> ApiResult<HttpResponse> {
    let export = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Accepted().insert_header(("Location", format!("/v1/exports/{}", export.id))).json(export))
}

/// Get an export
#[utoipa::path(
    operation_id = "get_export", tag = "Exports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Export (job) id", example = "job_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The export", body = ExportOut),
    )
)]
#[get("/exports/{id}")]
pub async fn get_export(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, &actor, id.into_inner()).await?))
}

/// Download an export
///
/// The CSV, streamed from storage.
#[utoipa::path(
    operation_id = "download_export", tag = "Exports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Export (job) id")),
    responses(
        (status = 200, description = "The CSV", content_type = "text/csv", body = String),
        (status = 409, description = "The export has not succeeded (yet)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/exports/{id}/download")]
pub async fn download_export(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (size, body) = service::download(&state, &actor, id.clone()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{id}.csv\"")))
        .no_chunking(size.max(0) as u64)
        .streaming(body))
}
