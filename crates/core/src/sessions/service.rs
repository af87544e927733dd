//! Sign-in, refresh (rotating), sign-out, accepting an invitation.

use chrono::Duration;

use super::dto::{AcceptInvitation, RefreshRequest, TokenOut, TokenRequest};
use super::model;
use crate::auth::secrets::{
    AccessClaims, REFRESH_TOKEN_PREFIX, dummy_password_check, hash_password, new_token, verify_password,
};
use crate::auth::{Actor, Principal, Role};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::users::model::{self as users, User, UserChangeset};
use crate::write::Edit;

fn invalid_credentials() -> ApiError {
    ApiError::new(actix_web::http::StatusCode::UNAUTHORIZED, "invalid_credentials", "The e-mail or password is wrong.")
}

/// Issues an access token and a refresh token in `family_id` (a new family on sign-in).
fn issue(conn: &mut DbConnection, state: &AppState, user: &User, family_id: &str) -> ApiResult<TokenOut> {
    let now = chrono::Utc::now().timestamp();
    let claims = AccessClaims {
        sub: user.id.clone(),
        org: user.org_id.clone(),
        role: user.role.clone(),
        iat: now,
        exp: now + state.config.access_token_ttl,
    };
    let access_token = state.keys.issue_access_token(&claims)?;
    let refresh_token = new_token(REFRESH_TOKEN_PREFIX);
    let expires_at = crate::time::now() + Duration::seconds(state.config.refresh_token_ttl);
    model::insert(conn, &user.org_id, &user.id, family_id, &state.keys.hash_token(&refresh_token), expires_at)?;
    Ok(TokenOut {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.config.access_token_ttl,
        refresh_token,
        refresh_expires_in: state.config.refresh_token_ttl,
    })
}

pub async fn sign_in(state: actix_web::web::Data<AppState>, input: TokenRequest) -> ApiResult<TokenOut> {
    let email = input.email.trim().to_lowercase();
    let candidates = state.db.read(move |conn| users::find_for_sign_in(conn, &email)).await?;
    let candidates: Vec<User> = match &input.organization_id {
        Some(org) => candidates.into_iter().filter(|u| &u.org_id == org).collect(),
        None => candidates,
    };
    let password = input.password;
    // The password is checked first, so the answer reveals nothing about an address it does not open.
    let mut matching = actix_web::web::block(move || {
        if candidates.is_empty() {
            dummy_password_check(&password);
        }
        candidates
            .into_iter()
            .filter(|u| u.password_hash.as_deref().is_some_and(|h| verify_password(&password, h)))
            .collect::<Vec<User>>()
    })
    .await
    .map_err(ApiError::internal)?;
    if matching.len() > 1 {
        return Err(ApiError::invalid_field(
            "/organization_id",
            "required",
            "these credentials open several organizations: name the organization",
        ));
    }
    let user = matching.pop().ok_or_else(invalid_credentials)?;
    let st = state.clone();
    state
        .db
        .write(move |conn| {
            users::touch_login(conn, &user.id)?;
            issue(conn, &st, &user, &crate::id::new_id("fam"))
        })
        .await
}

/// Whom a presented credential (a refresh token) names, before their role is read: what their
/// own user row is read as.
fn holder(org_id: &str, user_id: &str) -> Actor {
    Actor {
        org_id: org_id.to_string(),
        user_id: user_id.to_string(),
        principal: Principal::User(user_id.to_string()),
        role: Role::ReadOnly,
        scopes: None,
        request_id: String::new(),
    }
}

pub async fn refresh(state: actix_web::web::Data<AppState>, input: RefreshRequest) -> ApiResult<TokenOut> {
    let hash = state.keys.hash_token(&input.refresh_token);
    let st = state.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let Some(token) = model::find_by_hash(conn, &hash)? else {
                return Ok(Err(()));
            };
            if token.revoked_at.is_some() || token.expires_at <= crate::time::now() {
                return Ok(Err(()));
            }
            if token.used_at.is_some() || !model::consume(conn, &token.id)? {
                // A used token presented again: whoever holds the family is suspect.
                model::revoke_family(conn, &token.org_id, &token.family_id)?;
                return Ok(Err(()));
            }
            let holder = holder(&token.org_id, &token.user_id);
            let Some(user) = users::find(conn, &holder.scope(), &token.user_id)?.filter(|u| u.status == "active")
            else {
                return Ok(Err(()));
            };
            issue(conn, &st, &user, &token.family_id).map(Ok)
        })
        .await?;
    outcome.map_err(|_| ApiError::unauthorized("The refresh token is invalid, expired, used or revoked."))
}

pub async fn sign_out(state: &AppState, input: RefreshRequest) -> ApiResult<()> {
    let hash = state.keys.hash_token(&input.refresh_token);
    state
        .db
        .write(move |conn| {
            if let Some(token) = model::find_by_hash(conn, &hash)? {
                model::revoke_family(conn, &token.org_id, &token.family_id)?;
            }
            Ok(())
        })
        .await
}

pub async fn accept_invitation(state: actix_web::web::Data<AppState>, input: AcceptInvitation) -> ApiResult<TokenOut> {
    let hash = state.keys.hash_token(&input.invitation_token);
    let password = input.password;
    let password_hash = actix_web::web::block(move || hash_password(&password)).await.map_err(ApiError::internal)??;
    let st = state.clone();
    state
        .db
        .write(move |conn| {
            let user = users::find_by_invitation(conn, &hash)?
                .ok_or_else(|| ApiError::unauthorized("The invitation is invalid or was already accepted."))?;
            let actor = Actor {
                org_id: user.org_id.clone(),
                user_id: user.id.clone(),
                principal: Principal::User(user.id.clone()),
                role: Role::parse(&user.role).unwrap_or(Role::ReadOnly),
                scopes: None,
                request_id: String::new(),
            };
            crate::users::service::USERS.update(conn, &actor, &user.id, None, "activated", |conn, before| {
                // Two requests with the same invitation: the second finds the user active.
                if before.status != "invited" {
                    return Err(ApiError::unauthorized("The invitation is invalid or was already accepted."));
                }
                let changes = UserChangeset {
                    status: Some("active".into()),
                    password_hash: Some(Some(password_hash)),
                    invitation_hash: Some(None),
                    ..Default::default()
                };
                users::update(conn, &actor.scope(), &user.id, &changes)?;
                Ok(Edit::Changed)
            })?;
            let after =
                users::find(conn, &actor.scope(), &user.id)?.ok_or_else(|| ApiError::internal("user vanished"))?;
            users::touch_login(conn, &user.id)?;
            issue(conn, &st, &after, &crate::id::new_id("fam"))
        })
        .await
}
