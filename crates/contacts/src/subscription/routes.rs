//! `/v1/subscription-types` and `/v1/contacts/{id}/subscriptions`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{
    ContactSubscriptionOut, ContactSubscriptions, SubscriptionIn, SubscriptionTypeIn, SubscriptionTypeOut,
    SubscriptionTypePatch, SubscriptionTypesQuery,
};
use super::service;

/// List subscription types
#[utoipa::path(
    operation_id = "list_subscription_types", tag = "Privacy", params(SubscriptionTypesQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of subscription types", body = Page<SubscriptionTypeOut>),
    )
)]
#[get("/subscription-types")]
pub async fn list_subscription_types(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SubscriptionTypesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list_types(&state, &actor, query.into_inner()).await?))
}

/// Create a subscription type
#[utoipa::path(
    operation_id = "create_subscription_type", tag = "Privacy", request_body = SubscriptionTypeIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = SubscriptionTypeOut, headers(("Location" = String, description = "The type's URL"))),
        (status = 409, description = "Another type has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/subscription-types")]
pub async fn create_subscription_type(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SubscriptionTypeIn>,
) -> ApiResult<HttpResponse> {
    let kind = service::create_type(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/subscription-types/{}", kind.id)))
        .insert_header(etag(kind.version))
        .json(kind))
}

/// Get a subscription type
#[utoipa::path(
    operation_id = "get_subscription_type", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Subscription type id", example = "subt_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "The subscription type", body = SubscriptionTypeOut, headers(("ETag" = String, description = "The version"))),
    )
)]
#[get("/subscription-types/{id}")]
pub async fn get_subscription_type(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let kind = service::get_type(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(kind.version)).json(kind))
}

/// Update a subscription type
#[utoipa::path(
    operation_id = "update_subscription_type", tag = "Privacy", request_body = SubscriptionTypePatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Subscription type id"), IfMatch),
    responses(
        (status = 200, description = "The updated subscription type", body = SubscriptionTypeOut),
        (status = 409, description = "Another type has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/subscription-types/{id}")]
pub async fn update_subscription_type(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<SubscriptionTypePatch>,
) -> ApiResult<HttpResponse> {
    let kind = service::update_type(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(kind.version)).json(kind))
}

/// Delete a subscription type
///
/// Deletes it for good, with every contact's subscription to it.
#[utoipa::path(
    operation_id = "delete_subscription_type", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Subscription type id"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
    )
)]
#[delete("/subscription-types/{id}")]
pub async fn delete_subscription_type(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete_type(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a contact's subscriptions
///
/// The contact's status for every subscription type of the organization.
#[utoipa::path(
    operation_id = "list_contact_subscriptions", tag = "Privacy", security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "One entry per subscription type", body = ContactSubscriptions),
    )
)]
#[get("/contacts/{id}/subscriptions")]
pub async fn list_contact_subscriptions(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list_for_contact(&state, &actor, id.into_inner()).await?))
}

/// Subscribe or unsubscribe a contact
#[utoipa::path(
    operation_id = "set_contact_subscription", tag = "Privacy", request_body = SubscriptionIn, security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Contact id"),
        ("subscription_type_id" = String, Path, description = "Subscription type id"),
    ),
    responses(
        (status = 200, description = "The contact's subscription now", body = ContactSubscriptionOut),
    )
)]
#[put("/contacts/{id}/subscriptions/{subscription_type_id}")]
pub async fn set_contact_subscription(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    input: ValidatedJson<SubscriptionIn>,
) -> ApiResult<HttpResponse> {
    let (id, type_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::set_for_contact(&state, &actor, id, type_id, input.0).await?))
}
