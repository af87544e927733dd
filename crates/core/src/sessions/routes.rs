//! `/v1/auth/*`: public endpoints (no bearer token needed).

use actix_web::{HttpResponse, post, web};

use super::dto::{AcceptInvitation, RefreshRequest, TokenOut, TokenRequest};
use super::service;
use crate::error::{ApiResult, Problem};
use crate::http::ValidatedJson;
use crate::state::AppState;

/// Sign in
///
/// Exchanges an e-mail and password for a short-lived access token and a refresh token.
#[utoipa::path(
    operation_id = "create_token", tag = "Authentication", request_body = TokenRequest, security(()),
    responses(
        (status = 200, description = "Signed in", body = TokenOut),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn create_token(state: web::Data<AppState>, input: ValidatedJson<TokenRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::sign_in(state, input.0).await?))
}

/// Refresh an access token
///
/// Uses up the refresh token and returns a new pair. A refresh token used twice revokes its
/// whole family: both holders must sign in again.
#[utoipa::path(
    operation_id = "refresh_token", tag = "Authentication", request_body = RefreshRequest, security(()),
    responses(
        (status = 200, description = "A new token pair", body = TokenOut),
        (status = 401, description = "The refresh token is invalid, expired, used or revoked", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_token(
    state: web::Data<AppState>,
    input: ValidatedJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::refresh(state, input.0).await?))
}

/// Sign out
///
/// Revokes the refresh token and every token rotated from it. Access tokens expire on their own.
#[utoipa::path(
    operation_id = "revoke_token", tag = "Authentication", request_body = RefreshRequest, security(()),
    responses((status = 204, description = "Signed out (also when the token was unknown)"))
)]
#[post("/auth/logout")]
pub async fn revoke_token(state: web::Data<AppState>, input: ValidatedJson<RefreshRequest>) -> ApiResult<HttpResponse> {
    service::sign_out(&state, input.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation
///
/// Sets the invited user's password, activates them, and signs them in.
#[utoipa::path(
    operation_id = "accept_invitation", tag = "Authentication", request_body = AcceptInvitation, security(()),
    responses(
        (status = 200, description = "Activated and signed in", body = TokenOut),
        (status = 401, description = "The invitation is invalid or used", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/accept-invitation")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    input: ValidatedJson<AcceptInvitation>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::accept_invitation(state, input.0).await?))
}
