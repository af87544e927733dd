//! Authentication and authorization: who is calling ([`Actor`]) and what they may do.
//!
//! The [`authenticate`] middleware turns `Authorization: Bearer …` into an `Actor` in the
//! request's extensions; handlers take `Actor` as an extractor (401 when absent) and call
//! [`Actor::require`] (403 when the permission table says no).

mod credential_cache;
pub mod customer;
pub mod permissions;
pub mod secrets;

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};

pub use credential_cache::{CredentialCache, KeyAuth, UserAuth};
pub use permissions::{Action, Resource, Role};

use crate::error::{ApiError, ApiResult};
use crate::http::RequestId;
use crate::state::AppState;

/// Who is making the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(String),
    ApiKey(String),
    /// The server itself (start-up, CLI, scheduled work).
    System,
}

/// The authenticated caller: their organization, the user behind them, role and key scopes.
#[derive(Debug, Clone)]
pub struct Actor {
    pub org_id: String,
    /// The user acting, or the user who created the API key.
    pub user_id: String,
    pub principal: Principal,
    pub role: Role,
    /// `None` for user sessions; the key's scopes for API keys.
    pub scopes: Option<Vec<String>>,
    pub request_id: String,
}

impl Actor {
    pub fn principal_id(&self) -> &str {
        match &self.principal {
            Principal::User(id) | Principal::ApiKey(id) => id,
            Principal::System => "system",
        }
    }

    /// `user` or `api_key`, as events and the audit log show it.
    pub fn actor_type(&self) -> &'static str {
        match self.principal {
            Principal::User(_) => "user",
            Principal::ApiKey(_) => "api_key",
            Principal::System => "system",
        }
    }

    /// The organization as this caller sees it: where its reads of records start.
    pub fn scope(&self) -> crate::scope::Scope {
        crate::scope::Scope::of(self)
    }

    /// 403 unless the caller's role, and the key's scopes, allow `action` on `resource`.
    pub fn require(&self, resource: Resource, action: Action) -> ApiResult<()> {
        let by_role = permissions::role_allows(self.role, resource, action);
        let by_scope = self.scopes.as_deref().is_none_or(|s| permissions::scopes_allow(s, resource, action));
        if by_role && by_scope {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Your {} may not {} {}.",
                if by_role { "API key's scopes" } else { "role" },
                if action == Action::Read { "read" } else { "change" },
                resource.label
            )))
        }
    }
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Ready<Result<Actor, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = req.extensions();
        ready(extensions.get::<Actor>().cloned().ok_or_else(|| {
            // A customer sees nothing of the organization beyond the portal: as if absent.
            if extensions.get::<customer::Customer>().is_some() {
                return ApiError::not_found("resource");
            }
            ApiError::unauthorized("Send `Authorization: Bearer <token>` with an API key or access token.")
        }))
    }
}

/// Middleware: authenticates a bearer token if one is sent. A bad token is a 401 right away;
/// no token leaves the request anonymous for public endpoints.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(header) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let token = header.to_str().ok().and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).unwrap_or("");
    let resolved = if customer::Customer::is_token(token) {
        let (keys, token) = (state.keys.clone(), token.to_string());
        state.db.read(move |conn| customer::authenticate(conn, &keys, &token)).await.map(Caller::Customer)
    } else {
        resolve(&state, token, request_id).await.map(Caller::Actor)
    };
    match resolved {
        Ok(Caller::Actor(actor)) => {
            req.extensions_mut().insert(actor);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Ok(Caller::Customer(customer)) => {
            req.extensions_mut().insert(customer);
            Ok(next.call(req).await?.map_into_left_body())
        }
        // A database fault is not a failed credential: it is answered as it is, counting nothing.
        Err(error) if error.status != actix_web::http::StatusCode::UNAUTHORIZED => {
            let (req, _) = req.into_parts();
            Ok(ServiceResponse::new(req, error.error_response()).map_into_right_body())
        }
        Err(error) => {
            // Failed attempts count against the client's address, so guessing is rate limited.
            let decision = state
                .rate_limiter
                .check(&state.db, &crate::http::client_key(&req), state.config.rate_limit_anonymous_per_minute)
                .await;
            let error = if decision.allowed { error } else { ApiError::too_many_requests(decision.reset_secs.max(1)) };
            let (req, _) = req.into_parts();
            let mut response = error.error_response();
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer"),
            );
            Ok(ServiceResponse::new(req, response).map_into_right_body())
        }
    }
}

/// Whom a bearer token names.
enum Caller {
    Actor(Actor),
    Customer(customer::Customer),
}

async fn resolve(state: &AppState, token: &str, request_id: String) -> ApiResult<Actor> {
    if token.is_empty() {
        return Err(ApiError::unauthorized("The Authorization header must be `Bearer <token>`."));
    }
    if token.starts_with(secrets::API_KEY_PREFIX) {
        let key = state.credentials.authenticate_key(state, token).await?;
        return Ok(Actor {
            org_id: key.org_id,
            user_id: key.user_id,
            principal: Principal::ApiKey(key.id),
            role: key.role,
            scopes: Some(key.scopes),
            request_id,
        });
    }
    let claims = state
        .keys
        .verify_access_token(token)
        .ok_or_else(|| ApiError::unauthorized("The access token is invalid or expired."))?;
    // Deactivation and role changes apply to tokens already issued.
    let user = state.credentials.user(state, &claims.sub).await?;
    let Some(user) = user.filter(|u| u.active && u.org_id == claims.org) else {
        return Err(ApiError::unauthorized("The user behind this access token is deactivated."));
    };
    Ok(Actor {
        org_id: claims.org,
        user_id: claims.sub.clone(),
        principal: Principal::User(claims.sub),
        role: user.role,
        scopes: None,
        request_id,
    })
}
