//! What every handler and worker shares, passed as `web::Data<AppState>`.

use crate::auth::CredentialCache;
use crate::auth::secrets::Keys;
use crate::config::{Config, Secret};
use crate::db::{Backend, Db};
use crate::http::RateLimiter;
use crate::registry::Domain;

pub struct AppState {
    pub db: Db,
    /// Every domain the app serves (their permission rows, scopes and resources).
    pub domains: &'static [&'static Domain],
    pub config: Config,
    /// Shared: write paths clone it into their transaction (the erased-e-mail guard).
    pub keys: std::sync::Arc<Keys>,
    pub credentials: CredentialCache,
    pub rate_limiter: RateLimiter,
}

impl AppState {
    /// Connects to the database (without migrating) and derives the keys from the secret.
    pub fn new(mut config: Config, domains: &'static [&'static Domain]) -> Result<AppState, String> {
        let db = Db::connect(&config.database_url, config.database_pool_size, config.database_wait_ms)?;
        if config.secret_key.is_empty() {
            config.secret_key = match db.backend() {
                Backend::Sqlite => local_secret(&config.database_url)?,
                Backend::Postgres => {
                    return Err("CRM_SECRET_KEY must be set with PostgreSQL: every gateway needs the same key".into());
                }
            };
        }
        let keys = std::sync::Arc::new(Keys::new(config.secret_key.expose()));
        let rate_limiter = RateLimiter::new(config.redis_url.expose())?;
        Ok(AppState { db, domains, config, keys, credentials: CredentialCache::default(), rate_limiter })
    }
}

/// The secret kept in `secret.key` beside a SQLite database, created on first use.
fn local_secret(database_url: &str) -> Result<Secret, String> {
    let db_path = std::path::Path::new(crate::db::sqlite_path(database_url));
    let path = db_path.with_file_name("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.len() < 32 {
            // Replacing it would silently invalidate every key and token: let a person decide.
            return Err(format!("{} holds a secret shorter than 32 characters: fix or delete it", path.display()));
        }
        return Ok(Secret::new(existing));
    }
    let secret = crate::auth::secrets::new_token("");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write_private(&path, &secret).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Secret::new(secret))
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}
