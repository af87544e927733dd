//! API key use cases.

use super::dto::{ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeyPatch, ApiKeysQuery};
use super::model::{self, ApiKeyChangeset, NewApiKey};
use crate::auth::permissions::all_scopes;
use crate::auth::secrets::{API_KEY_PREFIX, new_token};
use crate::auth::{Action, Actor, Resource, Role};
use crate::change::{self, Change};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{Page, Patch, page};
use crate::scope::Scope;
use crate::state::AppState;
use crate::write::{Edit, Versioned};

fn check_scopes(state: &AppState, scopes: &[String], pointer: &str) -> ApiResult<()> {
    let known = all_scopes(state.domains);
    let errors: Vec<FieldError> = scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| !known.contains(s))
        .map(|(i, s)| FieldError::new(format!("{pointer}/{i}"), "unknown_scope", format!("{s:?} is not a scope")))
        .collect();
    if scopes.is_empty() {
        return Err(ApiError::invalid_field(pointer, "required", "give at least one scope"));
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

/// Creates a key for `user_id` (the caller, or the first admin at bootstrap) inside a transaction.
pub fn insert_key(
    conn: &mut DbConnection,
    state_keys: &crate::auth::secrets::Keys,
    actor: &Actor,
    name: &str,
    role: Role,
    scopes: &[String],
    expires_at: Option<chrono::NaiveDateTime>,
) -> ApiResult<ApiKeyCreated> {
    let secret = new_token(API_KEY_PREFIX);
    let id = crate::id::new_id(model::ID_PREFIX);
    let now = crate::time::now();
    model::insert(
        conn,
        &NewApiKey {
            id: &id,
            org_id: &actor.org_id,
            user_id: &actor.user_id,
            name,
            key_prefix: &secret[..API_KEY_PREFIX.len() + 4],
            key_hash: &state_keys.hash_token(&secret),
            role: role.as_str(),
            scopes: &serde_json::to_string(scopes)?,
            expires_at,
            created_at: now,
            updated_at: now,
        },
    )?;
    let api_key =
        ApiKeyOut::from(model::find(conn, &actor.scope(), &id)?.ok_or_else(|| ApiError::internal("key vanished"))?);
    let after = serde_json::to_value(&api_key)?;
    change::record(
        conn,
        actor,
        Change { resource: "api_key", id: &id, action: "created", before: None, after: Some(&after) },
    )?;
    Ok(ApiKeyCreated { api_key, key: secret })
}

pub async fn create(state: &AppState, actor: &Actor, input: ApiKeyIn) -> ApiResult<ApiKeyCreated> {
    actor.require(Resource::API_KEYS, Action::Write)?;
    let scopes = input.scopes.unwrap_or_else(|| vec!["*".to_string()]);
    check_scopes(state, &scopes, "/scopes")?;
    let role = input.role.unwrap_or(actor.role);
    if !actor.role.can_grant(role) {
        return Err(ApiError::forbidden(format!(
            "A {} may not create a key with role {}.",
            actor.role.as_str(),
            role.as_str()
        )));
    }
    if input.expires_at.is_some_and(|t| t <= crate::time::now()) {
        return Err(ApiError::invalid_field("/expires_at", "in_the_past", "must be in the future"));
    }
    let name = input.name.trim().to_string();
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state.db.write(move |conn| insert_key(conn, &keys, &actor, &name, role, &scopes, input.expires_at)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: ApiKeysQuery) -> ApiResult<Page<ApiKeyOut>> {
    actor.require(Resource::API_KEYS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, query.revoked, &for_query)).await?;
    Ok(page(rows, &plan, |k| model::SORTS.position(&plan, k), ApiKeyOut::from))
}

/// API keys as the write runner takes them.
const KEYS: Versioned<ApiKeyOut> = Versioned {
    table: "api_keys",
    org_column: "org_id",
    resource: "api_key",
    load,
    load_locked: None,
    version: |k| k.version,
};

fn load(conn: &mut crate::db::DbConnection, scope: &Scope, id: &str) -> ApiResult<ApiKeyOut> {
    model::find(conn, scope, id)?.map(ApiKeyOut::from).ok_or_else(|| ApiError::not_found("API key"))
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<ApiKeyOut> {
    actor.require(Resource::API_KEYS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: ApiKeyPatch,
    if_match: Option<i64>,
) -> ApiResult<ApiKeyOut> {
    actor.require(Resource::API_KEYS, Action::Write)?;
    let mut changes = ApiKeyChangeset::default();
    match patch.name {
        Patch::Absent => {}
        Patch::Value(name) if !name.trim().is_empty() && name.chars().count() <= 100 => {
            changes.name = Some(name.trim().to_string())
        }
        _ => {
            return Err(ApiError::invalid_field("/name", "length", "must be 1 to 100 characters"));
        }
    }
    match patch.scopes {
        Patch::Absent => {}
        Patch::Value(scopes) => {
            check_scopes(state, &scopes, "/scopes")?;
            changes.scopes = Some(serde_json::to_string(&scopes)?);
        }
        Patch::Null => {
            return Err(ApiError::invalid_field("/scopes", "required", "give at least one scope"));
        }
    }
    let key = apply(state, actor, id, changes, if_match, "updated").await?;
    state.credentials.forget_key(&key.id);
    Ok(key)
}

/// Revokes a key: it stops working at once on this gateway, within seconds on others.
pub async fn revoke(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<ApiKeyOut> {
    actor.require(Resource::API_KEYS, Action::Write)?;
    let changes = ApiKeyChangeset { revoked_at: Some(Some(crate::time::now())), ..Default::default() };
    let key = apply(state, actor, id, changes, if_match, "revoked").await?;
    state.credentials.forget_key(&key.id);
    Ok(key)
}

async fn apply(
    state: &AppState,
    actor: &Actor,
    id: String,
    changes: ApiKeyChangeset,
    if_match: Option<i64>,
    action: &'static str,
) -> ApiResult<ApiKeyOut> {
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            KEYS.update(conn, &actor, &id, if_match, action, |conn, before| {
                if before.revoked_at.is_some() {
                    return Err(ApiError::conflict("api_key_revoked", "This API key is revoked and cannot change."));
                }
                model::update(conn, &actor.scope(), &id, &changes)?;
                Ok(Edit::Changed)
            })
        })
        .await
}
