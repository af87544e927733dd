//! `/v1/users` and `/v1/me`.

use actix_web::{HttpResponse, get, patch, post, web};

use super::dto::{MeOut, PasswordChange, UserCreated, UserIn, UserOut, UserPatch, UsersQuery};
use super::service;
use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::http::{IfMatch, Page, ValidatedJson, etag};
use crate::state::AppState;

/// Get the caller
///
/// The user behind the credentials, their organization, and the credential's role and scopes.
#[utoipa::path(
    operation_id = "get_me", tag = "Users", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = MeOut))
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::me(&state, &actor).await?))
}

/// Set the caller's password
///
/// Sets the first password (the admin created by `crm init` has none) or changes it, which needs
/// the current one. Signs the user out of every session; API keys keep working.
#[utoipa::path(
    operation_id = "change_password", tag = "Users", request_body = PasswordChange, security(("bearer" = [])),
    responses(
        (status = 204, description = "Password set"),
        (status = 403, description = "An API key needs the platform:write scope", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<PasswordChange>,
) -> ApiResult<HttpResponse> {
    service::change_password(&state, &actor, input.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List users
#[utoipa::path(
    operation_id = "list_users", tag = "Users", params(UsersQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = Page<UserOut>),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<UsersQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create (invite) a user
///
/// With a password the user is active at once; without one they are invited and the response
/// carries a one-time `invitation_token`.
#[utoipa::path(
    operation_id = "create_user", tag = "Users", request_body = UserIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserCreated, headers(("Location" = String, description = "The user's URL"))),
        (status = 403, description = "Only admins create users, and no one grants a role above their own", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A user with this e-mail exists, or this Idempotency-Key is in flight", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<UserIn>,
) -> ApiResult<HttpResponse> {
    let created = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/users/{}", created.user.id)))
        .insert_header(etag(created.user.version))
        .json(created))
}

/// Get a user
#[utoipa::path(
    operation_id = "get_user", tag = "Users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id", example = "user_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The user", body = UserOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/users/{id}")]
pub async fn get_user(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let user = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(user.version)).json(user))
}

/// Update a user
///
/// A JSON merge patch of `name` and `role`. Send `If-Match` with the ETag to refuse a stale write.
#[utoipa::path(
    operation_id = "update_user", tag = "Users", request_body = UserPatch, security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "User id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The updated user", body = UserOut),
        (status = 409, description = "It would leave no active admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<UserPatch>,
) -> ApiResult<HttpResponse> {
    let user = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(user.version)).json(user))
}

/// Deactivate a user
///
/// Signs the user out everywhere and stops their API keys. Reversible.
#[utoipa::path(
    operation_id = "deactivate_user", tag = "Users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id"), IfMatch),
    responses(
        (status = 200, description = "The deactivated user", body = UserOut),
        (status = 409, description = "It would leave no active admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/deactivate")]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = service::set_active(&state, &actor, id.into_inner(), false, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(user.version)).json(user))
}

/// Reactivate a user
#[utoipa::path(
    operation_id = "reactivate_user", tag = "Users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id"), IfMatch),
    responses(
        (status = 200, description = "The reactivated user", body = UserOut),
        (status = 409, description = "An invited user must accept the invitation instead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/reactivate")]
pub async fn reactivate_user(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = service::set_active(&state, &actor, id.into_inner(), true, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(user.version)).json(user))
}
