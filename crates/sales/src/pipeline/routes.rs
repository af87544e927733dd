//! `/v1/pipelines`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{PipelineIn, PipelineOut, PipelinePatch, PipelinesQuery};
use super::service;

/// List pipelines
///
/// In their order (`position`), each with its stages in order.
#[utoipa::path(
    operation_id = "list_pipelines", tag = "Pipelines", params(PipelinesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of pipelines", body = Page<PipelineOut>))
)]
#[get("/pipelines")]
pub async fn list_pipelines(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<PipelinesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a pipeline
///
/// With its stages in order (at least one open, one won and one lost), or the default ones.
/// Admins and managers only.
#[utoipa::path(
    operation_id = "create_pipeline", tag = "Pipelines", request_body = PipelineIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PipelineOut, headers(("Location" = String, description = "The pipeline's URL"))),
        (status = 409, description = "Another pipeline has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/pipelines")]
pub async fn create_pipeline(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<PipelineIn>,
) -> ApiResult<HttpResponse> {
    let pipeline = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/pipelines/{}", pipeline.id)))
        .insert_header(etag(pipeline.version))
        .json(pipeline))
}

/// Get a pipeline
#[utoipa::path(
    operation_id = "get_pipeline", tag = "Pipelines", security(("bearer" = [])),
    params(("id" = String, Path, description = "Pipeline id", example = "pipe_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The pipeline", body = PipelineOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/pipelines/{id}")]
pub async fn get_pipeline(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let pipeline = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(pipeline.version)).json(pipeline))
}

/// Update a pipeline
///
/// Renames or moves it, or rewrites its stages: `stages` is the whole new list in order
/// (stages named by `id` kept, new ones added, missing ones removed). A stage that holds
/// deals cannot be removed or change its kind.
#[utoipa::path(
    operation_id = "update_pipeline", tag = "Pipelines", request_body = PipelinePatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Pipeline id"), IfMatch),
    responses(
        (status = 200, description = "The updated pipeline", body = PipelineOut),
        (status = 409, description = "Another pipeline has this name (`duplicate_pipeline`), or a stage removed or changed holds deals (`stage_has_deals`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/pipelines/{id}")]
pub async fn update_pipeline(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<PipelinePatch>,
) -> ApiResult<HttpResponse> {
    let pipeline = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(pipeline.version)).json(pipeline))
}

/// Delete a pipeline
///
/// With its stages. A pipeline that holds deals (trashed ones too) cannot be deleted.
#[utoipa::path(
    operation_id = "delete_pipeline", tag = "Pipelines", security(("bearer" = [])),
    params(("id" = String, Path, description = "Pipeline id"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The pipeline holds deals", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/pipelines/{id}")]
pub async fn delete_pipeline(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
