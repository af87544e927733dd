//! API keys are checked on every request: a keyed hash and an in-memory cache keep that to
//! microseconds. Entries live briefly, so a key revoked on another gateway stops working
//! within [`TTL`]; a key revoked here is dropped from the cache at once.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::Role;
use crate::error::{ApiError, ApiResult};
use crate::schema::{api_keys, users};
use crate::state::AppState;

const TTL: Duration = Duration::from_secs(10);
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// What a valid API key grants.
#[derive(Debug, Clone)]
pub struct KeyAuth {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub role: Role,
    pub scopes: Vec<String>,
}

struct Entry {
    key: KeyAuth,
    loaded: Instant,
    last_used_written: Instant,
}

#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<String, Entry>>,
}

impl KeyCache {
    pub async fn authenticate(&self, state: &AppState, token: &str) -> ApiResult<KeyAuth> {
        let hash = state.keys.hash_token(token);
        let now = Instant::now();
        if let Ok(entries) = self.entries.read()
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
        let key = state.db.read(move |conn| load(conn, &lookup)).await?;
        let Some(key) = key else {
            self.forget_hash(&hash);
            return Err(ApiError::unauthorized("The API key is invalid, expired or revoked."));
        };
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(
                hash.clone(),
                Entry { key: key.clone(), loaded: now, last_used_written: now - LAST_USED_EVERY * 2 },
            );
        }
        self.touch(state, &hash, key.id.clone());
        Ok(key)
    }

    /// Records the key's last use in the background, at most once a minute per key.
    fn touch(&self, state: &AppState, hash: &str, key_id: String) {
        if let Ok(mut entries) = self.entries.write()
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
    pub fn forget(&self, key_id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| e.key.id != key_id);
        }
    }

    fn forget_hash(&self, hash: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(hash);
        }
    }

    /// Drops every key of a user (deactivation, role change).
    pub fn forget_user(&self, user_id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| e.key.user_id != user_id);
        }
    }
}

type KeyRow = (String, String, String, String, String, Option<chrono::NaiveDateTime>);

fn load(conn: &mut crate::db::DbConnection, hash: &str) -> ApiResult<Option<KeyAuth>> {
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
        ))
        .first(conn)
        .optional()?;
    let Some((id, org_id, user_id, role, scopes, expires_at)) = row else {
        return Ok(None);
    };
    if expires_at.is_some_and(|t| t <= crate::time::now()) {
        return Ok(None);
    }
    let role = Role::parse(&role).ok_or_else(|| ApiError::internal(format!("api key {id} has unknown role {role}")))?;
    let scopes: Vec<String> = serde_json::from_str(&scopes)?;
    Ok(Some(KeyAuth { id, org_id, user_id, role, scopes }))
}
