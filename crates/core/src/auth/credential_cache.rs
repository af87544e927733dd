//! Credentials are checked on every request: a keyed hash and an in-memory cache keep that to
//! microseconds. Entries live briefly, so a change made on another gateway (a revoked key, a
//! deactivated or demoted user) takes effect there within [`TTL`]; here it is dropped at once.
//! Half a second costs each gateway two lookups a second per busy credential, and keeps every
//! gateway's answer within a second of the change.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::Role;
use crate::error::{ApiError, ApiResult};
use crate::schema::{api_keys, users};
use crate::state::AppState;

const TTL: Duration = Duration::from_millis(500);
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// What a valid API key grants.
#[derive(Debug, Clone)]
pub struct KeyAuth {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    /// The key's role, never above its user's current role.
    pub role: Role,
    pub scopes: Vec<String>,
}

/// A user as authentication needs them: an access token is only as good as its user today.
#[derive(Debug, Clone)]
pub struct UserAuth {
    pub org_id: String,
    pub role: Role,
    pub active: bool,
}

struct KeyEntry {
    key: KeyAuth,
    loaded: Instant,
    last_used_written: Instant,
}

#[derive(Default)]
pub struct CredentialCache {
    keys: RwLock<HashMap<String, KeyEntry>>,
    users: RwLock<HashMap<String, (UserAuth, Instant)>>,
}

impl CredentialCache {
    pub async fn authenticate_key(&self, state: &AppState, token: &str) -> ApiResult<KeyAuth> {
        let hash = state.keys.hash_token(token);
        let now = Instant::now();
        if let Ok(entries) = self.keys.read()
            && let Some(entry) = entries.get(&hash)
            && now.duration_since(entry.loaded) < TTL
        {
            let key = entry.key.clone();
            let stale_use = now.duration_since(entry.last_used_written) > LAST_USED_EVERY;
            drop(entries);
            if stale_use {
                self.touch(state, &hash, key.id.clone());
            }
            return Ok(key);
        }
        let lookup = hash.clone();
        let key = state.db.read(move |conn| load_key(conn, &lookup)).await?;
        let Some(key) = key else {
            if let Ok(mut entries) = self.keys.write() {
                entries.remove(&hash);
            }
            return Err(ApiError::unauthorized("The API key is invalid, expired or revoked."));
        };
        // A reload (every TTL) keeps when the key's use was last written: at most once a minute.
        let mut stale_use = true;
        if let Ok(mut entries) = self.keys.write() {
            let written =
                entries.get(&hash).map(|e| e.last_used_written).filter(|w| now.duration_since(*w) <= LAST_USED_EVERY);
            stale_use = written.is_none();
            let last_used_written = written.unwrap_or(now);
            entries.insert(hash.clone(), KeyEntry { key: key.clone(), loaded: now, last_used_written });
        }
        if stale_use {
            self.touch(state, &hash, key.id.clone());
        }
        Ok(key)
    }

    /// The user behind an access token, as they are now.
    pub async fn user(&self, state: &AppState, user_id: &str) -> ApiResult<Option<UserAuth>> {
        if let Ok(entries) = self.users.read()
            && let Some((user, loaded)) = entries.get(user_id)
            && loaded.elapsed() < TTL
        {
            return Ok(Some(user.clone()));
        }
        let id = user_id.to_string();
        let row: Option<(String, String, String)> = state
            .db
            .read(move |conn| {
                Ok(users::table.find(&id).select((users::org_id, users::role, users::status)).first(conn).optional()?)
            })
            .await?;
        let user = row.map(|(org_id, role, status)| UserAuth {
            org_id,
            role: Role::parse(&role).unwrap_or(Role::ReadOnly),
            active: status == "active",
        });
        if let (Some(user), Ok(mut entries)) = (&user, self.users.write()) {
            if entries.len() > 100_000 {
                entries.clear();
            }
            entries.insert(user_id.to_string(), (user.clone(), Instant::now()));
        }
        Ok(user)
    }

    /// Records the key's last use in the background, at most once a minute per key.
    fn touch(&self, state: &AppState, hash: &str, key_id: String) {
        if let Ok(mut entries) = self.keys.write()
            && let Some(entry) = entries.get_mut(hash)
        {
            entry.last_used_written = Instant::now();
        }
        let db = state.db.clone();
        actix_web::rt::spawn(async move {
            let result = db
                .write(move |conn| {
                    diesel::update(api_keys::table.find(&key_id))
                        .set(api_keys::last_used_at.eq(crate::time::now()))
                        .execute(conn)?;
                    Ok(())
                })
                .await;
            if let Err(e) = result {
                log::warn!("could not record API key use: {e}");
            }
        });
    }

    /// Drops a revoked or changed key at once.
    pub fn forget_key(&self, key_id: &str) {
        if let Ok(mut entries) = self.keys.write() {
            entries.retain(|_, e| e.key.id != key_id);
        }
    }

    /// Drops a user and their keys (deactivation, role change).
    pub fn forget_user(&self, user_id: &str) {
        if let Ok(mut entries) = self.keys.write() {
            entries.retain(|_, e| e.key.user_id != user_id);
        }
        if let Ok(mut entries) = self.users.write() {
            entries.remove(user_id);
        }
    }
}

type KeyRow = (String, String, String, String, String, Option<chrono::NaiveDateTime>, String);

fn load_key(conn: &mut crate::db::DbConnection, hash: &str) -> ApiResult<Option<KeyAuth>> {
    let row: Option<KeyRow> = api_keys::table
        .inner_join(users::table)
        .filter(api_keys::key_hash.eq(hash))
        .filter(api_keys::revoked_at.is_null())
        .filter(users::status.eq("active"))
        .select((
            api_keys::id,
            api_keys::org_id,
            api_keys::user_id,
            api_keys::role,
            api_keys::scopes,
            api_keys::expires_at,
            users::role,
        ))
        .first(conn)
        .optional()?;
    let Some((id, org_id, user_id, key_role, scopes, expires_at, user_role)) = row else { return Ok(None) };
    if expires_at.is_some_and(|t| t <= crate::time::now()) {
        return Ok(None);
    }
    let unknown = |role: &str| ApiError::internal(format!("api key {id} has unknown role {role}"));
    let key_role = Role::parse(&key_role).ok_or_else(|| unknown(&key_role))?;
    let user_role = Role::parse(&user_role).ok_or_else(|| unknown(&user_role))?;
    // A key never does more than its user may do today: the lower of the two roles, and
    // read-only when neither includes the other (a marketing key of a user now in sales).
    let role = if user_role.can_grant(key_role) {
        key_role
    } else if key_role.can_grant(user_role) {
        user_role
    } else {
        Role::ReadOnly
    };
    let scopes: Vec<String> = serde_json::from_str(&scopes)?;
    Ok(Some(KeyAuth { id, org_id, user_id, role, scopes }))
}
