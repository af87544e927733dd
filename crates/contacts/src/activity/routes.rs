//! `/v1/activities`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{ActivitiesQuery, ActivityIn, ActivityOut, ActivityPatch};
use super::service;

/// List activities
///
/// Newest first by default; filter by kind, task status, assignee, or the contact or company
/// they are about. `sort=due_at` lists tasks by due date.
#[utoipa::path(
    operation_id = "list_activities", tag = "Activities", params(ActivitiesQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of activities", body = Page<ActivityOut>),
    )
)]
#[get("/activities")]
pub async fn list_activities(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ActivitiesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Log an activity
///
/// A note, task, call, meeting or e-mail about one or more contacts and companies.
#[utoipa::path(
    operation_id = "create_activity", tag = "Activities", request_body = ActivityIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ActivityOut, headers(("Location" = String, description = "The activity's URL"))),
    )
)]
#[post("/activities")]
pub async fn create_activity(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ActivityIn>,
) -> ApiResult<HttpResponse> {
    let activity = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/activities/{}", activity.id)))
        .insert_header(etag(activity.version))
        .json(activity))
}

/// Get an activity
#[utoipa::path(
    operation_id = "get_activity", tag = "Activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "Activity id", example = "act_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The activity", body = ActivityOut, headers(("ETag" = String, description = "The version"))),
    )
)]
#[get("/activities/{id}")]
pub async fn get_activity(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let activity = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(activity.version)).json(activity))
}

/// Update an activity
#[utoipa::path(
    operation_id = "update_activity", tag = "Activities", request_body = ActivityPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Activity id"), IfMatch),
    responses(
        (status = 200, description = "The updated activity", body = ActivityOut),
    )
)]
#[patch("/activities/{id}")]
pub async fn update_activity(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<ActivityPatch>,
) -> ApiResult<HttpResponse> {
    let activity = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(activity.version)).json(activity))
}

/// Delete an activity
#[utoipa::path(
    operation_id = "delete_activity", tag = "Activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "Activity id"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
    )
)]
#[delete("/activities/{id}")]
pub async fn delete_activity(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
