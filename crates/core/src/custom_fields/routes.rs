//! `/v1/custom-fields`.

use actix_web::{HttpResponse, delete, get, patch, post, web};

use super::dto::{DefinitionIn, DefinitionOut, DefinitionPatch, DefinitionsQuery};
use super::service;
use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::http::{IfMatch, Page, ValidatedJson, etag};
use crate::state::AppState;

/// List custom fields
#[utoipa::path(
    operation_id = "list_custom_fields", tag = "Custom fields", params(DefinitionsQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of field definitions, oldest first", body = Page<DefinitionOut>))
)]
#[get("/custom-fields")]
pub async fn list_custom_fields(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<DefinitionsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a custom field
///
/// Records of `record_type` then take a value for it in `custom.<key>`, checked against the
/// field's type and rules, and the filter language addresses it as `custom.<key>`. Admins only.
#[utoipa::path(
    operation_id = "create_custom_field", tag = "Custom fields", request_body = DefinitionIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = DefinitionOut, headers(("Location" = String, description = "The field's URL"))),
        (status = 403, description = "Only admins define fields", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A field of this record type has this key (perhaps deleted)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/custom-fields")]
pub async fn create_custom_field(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<DefinitionIn>,
) -> ApiResult<HttpResponse> {
    let field = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/custom-fields/{}", field.id)))
        .insert_header(etag(field.version))
        .json(field))
}

/// Get a custom field
#[utoipa::path(
    operation_id = "get_custom_field", tag = "Custom fields", security(("bearer" = [])),
    params(("id" = String, Path, description = "Custom field id", example = "cf_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The field", body = DefinitionOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/custom-fields/{id}")]
pub async fn get_custom_field(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let field = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(field.version)).json(field))
}

/// Update a custom field
///
/// Label, description and rules. New rules apply to values written afterwards: stored values
/// are kept as they are, and a record keeps an old value that no longer passes until it is
/// changed. The key and type cannot change.
#[utoipa::path(
    operation_id = "update_custom_field", tag = "Custom fields", request_body = DefinitionPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Custom field id"), IfMatch),
    responses(
        (status = 200, description = "The updated field", body = DefinitionOut),
        (status = 403, description = "Only admins define fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/custom-fields/{id}")]
pub async fn update_custom_field(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<DefinitionPatch>,
) -> ApiResult<HttpResponse> {
    let field = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(field.version)).json(field))
}

/// Delete a custom field
///
/// Archives it: records stop showing its values and filters stop taking it, but the values are
/// kept, and `POST /v1/custom-fields/{id}/restore` brings them back.
#[utoipa::path(
    operation_id = "delete_custom_field", tag = "Custom fields", security(("bearer" = [])),
    params(("id" = String, Path, description = "Custom field id")),
    responses(
        (status = 204, description = "Archived"),
        (status = 403, description = "Only admins define fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/custom-fields/{id}")]
pub async fn delete_custom_field(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::set_archived(&state, &actor, id.into_inner(), true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a deleted custom field
#[utoipa::path(
    operation_id = "restore_custom_field", tag = "Custom fields", security(("bearer" = [])),
    params(("id" = String, Path, description = "Custom field id")),
    responses(
        (status = 200, description = "The restored field; records show its values again", body = DefinitionOut),
        (status = 403, description = "Only admins define fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/custom-fields/{id}/restore")]
pub async fn restore_custom_field(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let field = service::set_archived(&state, &actor, id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().insert_header(etag(field.version)).json(field))
}
