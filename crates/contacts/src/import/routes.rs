//! `/v1/imports`.

use actix_multipart::Multipart;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiError, ApiResult, Problem};
use crm_core::http::Page;
use crm_core::state::AppState;

use super::dto::{ImportOut, ImportUpload, ImportsQuery};
use super::service;

/// Start an import
///
/// A `multipart/form-data` upload with two parts: `options` (JSON: the column mapping, the
/// mode, `match_on`, `dry_run`) and `file` (the CSV, with a header row). The file streams into
/// storage as it arrives, with no size or row limit; the mapping is checked against the header
/// at once (422), and the rows are then imported by a background job: poll the import.
#[utoipa::path(
    operation_id = "create_import", tag = "Imports", security(("bearer" = [])),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Queued", body = ImportOut, headers(("Location" = String, description = "The import's URL"))),
    )
)]
#[post("/imports")]
pub async fn create_import(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    let multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the import as multipart/form-data with an options part and a file part.",
        ));
    }
    let import = service::create(&state, &actor, form).await?;
    Ok(HttpResponse::Accepted().insert_header(("Location", format!("/v1/imports/{}", import.id))).json(import))
}

/// List imports
#[utoipa::path(
    operation_id = "list_imports", tag = "Imports", params(ImportsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of imports, newest first", body = Page<ImportOut>),
    )
)]
#[get("/imports")]
pub async fn list_imports(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ImportsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Get an import
///
/// Its status, rows processed of the total, the counts of created, updated, unchanged,
/// skipped and failed rows, and the percentage done.
#[utoipa::path(
    operation_id = "get_import", tag = "Imports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Import (job) id", example = "job_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The import", body = ImportOut),
    )
)]
#[get("/imports/{id}")]
pub async fn get_import(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(&state, &actor, id.into_inner()).await?))
}

/// Download an import's failed rows
///
/// CSV: the file's own columns, then `row_number` (1 is the first row after the header) and
/// `reason`. Streamed; available while the import runs.
#[utoipa::path(
    operation_id = "get_import_failed_rows", tag = "Imports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Import (job) id")),
    responses(
        (status = 200, description = "The failed rows", content_type = "text/csv", body = String),
    )
)]
#[get("/imports/{id}/failed-rows")]
pub async fn get_import_failed_rows(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let body = service::failed_rows(&state, &actor, id.clone()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{id}-failed-rows.csv\"")))
        .streaming(body))
}

/// Revert an import
///
/// Undoes a finished import in a background job: the contacts it created go to the trash
/// and the contacts it updated get their values from before the import back.
#[utoipa::path(
    operation_id = "revert_import", tag = "Imports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Import (job) id")),
    responses(
        (status = 202, description = "The revert is queued; the import shows its progress", body = ImportOut),
        (status = 409, description = "The import is not finished, was a dry run, or was already reverted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/imports/{id}/revert")]
pub async fn revert_import(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(service::revert(&state, &actor, id.into_inner()).await?))
}
