//! Configuration: commented defaults embedded in the binary (`config.default.toml`, and each
//! domain's section), then an optional file named by `CRM_CONFIG`, then `CRM_<KEY>` (a
//! domain's: `CRM_<DOMAIN>_<KEY>`) environment variables. Validated at start-up; the secret
//! never prints.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::registry::Domain;

const DEFAULTS: &str = include_str!("../config.default.toml");

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    pub database_url: String,
    pub database_pool_size: u32,
    pub database_wait_ms: u64,
    pub secret_key: Secret,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub rate_limit_per_minute: u32,
    pub rate_limit_anonymous_per_minute: u32,
    pub redis_url: Secret,
    pub max_body_bytes: usize,
    pub client_header_timeout_ms: u64,
    pub client_body_timeout_ms: u64,
    pub max_connections_per_address: usize,
    pub max_header_bytes: usize,
    pub cors_origins: String,
    pub bootstrap: bool,
    pub http_workers: usize,
    pub job_workers: usize,
    pub job_poll_ms: u64,
    pub job_lease_seconds: u64,
    pub job_retry_base_ms: u64,
    pub event_retention_days: i64,
    /// The SMTP server's URL (its credentials in it): empty for none.
    pub smtp_url: Secret,
    pub mail_from: String,
    pub mail_max_attempts: i32,
    /// Each domain's section (`[contacts]`), read with [`Config::section`].
    #[serde(skip)]
    sections: BTreeMap<String, toml::Table>,
}

/// A domain's section of the configuration: `[<domain>]` in a `CRM_CONFIG` file,
/// `CRM_<DOMAIN>_<KEY>` in the environment.
pub struct Settings {
    /// Its keys with their defaults and comments, as TOML (no `[section]` header).
    pub defaults: &'static str,
    /// Checks the section as loaded: start-up fails with its message.
    pub check: fn(&Config) -> Result<(), String>,
}

/// A string that never shows in logs or debug output.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("database_pool_size", &self.database_pool_size)
            .field("secret_key", &self.secret_key)
            .field("smtp_url", &self.smtp_url)
            .field("mail_from", &self.mail_from)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("cors_origins", &self.cors_origins)
            .field("bootstrap", &self.bootstrap)
            .finish_non_exhaustive()
    }
}

/// The URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Overlays `file` on `defaults`, refusing keys the defaults do not have.
fn overlay(defaults: &mut toml::Table, file: toml::Table, place: &str) -> Result<(), String> {
    for (key, value) in file {
        if !defaults.contains_key(&key) {
            return Err(format!("{place}: unknown setting {key:?}"));
        }
        defaults.insert(key, value);
    }
    Ok(())
}

/// Overrides each key of `table` by the variable `<prefix><KEY>`, typed like its default.
fn from_environment(
    table: &mut toml::Table,
    prefix: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let keys: Vec<String> = table.keys().cloned().collect();
    for key in keys {
        let var = format!("{prefix}{}", key.to_uppercase());
        let plain = (prefix == "CRM_" && key == "database_url").then(|| env("DATABASE_URL")).flatten();
        let Some(raw) = env(&var).or(plain) else { continue };
        let value = match &table[&key] {
            toml::Value::Integer(_) => raw
                .trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| format!("{var} must be an integer, got {raw:?}"))?,
            toml::Value::Boolean(_) => match raw.trim() {
                "true" | "1" | "yes" => toml::Value::Boolean(true),
                "false" | "0" | "no" => toml::Value::Boolean(false),
                _ => return Err(format!("{var} must be true or false, got {raw:?}")),
            },
            _ => toml::Value::String(raw),
        };
        table.insert(key, value);
    }
    Ok(())
}

impl Config {
    /// Defaults, the `CRM_CONFIG` file, then the environment, with a section for each domain
    /// that has settings.
    pub fn load(domains: &[&Domain]) -> Result<Config, String> {
        Self::load_from(|name| std::env::var(name).ok(), domains)
    }

    /// Like [`Config::load`], reading variables through `env` (tests pass their own).
    pub fn load_from(env: impl Fn(&str) -> Option<String>, domains: &[&Domain]) -> Result<Config, String> {
        let mut table: toml::Table = DEFAULTS.parse().map_err(|e| format!("built-in defaults: {e}"))?;
        let mut sections = BTreeMap::new();
        for domain in domains {
            if let Some(settings) = &domain.settings {
                let defaults: toml::Table =
                    settings.defaults.parse().map_err(|e| format!("built-in [{}] defaults: {e}", domain.name))?;
                sections.insert(domain.name.to_string(), defaults);
            }
        }
        if let Some(path) = env("CRM_CONFIG") {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("CRM_CONFIG {path}: {e}"))?;
            let mut file: toml::Table = text.parse().map_err(|e| format!("CRM_CONFIG {path}: {e}"))?;
            for (name, section) in &mut sections {
                match file.remove(name) {
                    Some(toml::Value::Table(given)) => overlay(section, given, &format!("CRM_CONFIG {path} [{name}]"))?,
                    Some(_) => return Err(format!("CRM_CONFIG {path}: {name} must be a [{name}] section")),
                    None => {}
                }
            }
            overlay(&mut table, file, &format!("CRM_CONFIG {path}"))?;
        }
        from_environment(&mut table, "CRM_", &env)?;
        for (name, section) in &mut sections {
            from_environment(section, &format!("CRM_{}_", name.to_uppercase()), &env)?;
        }
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| format!("invalid configuration: {}", e.message()))?;
        config.sections = sections;
        config.validate()?;
        for domain in domains {
            if let Some(settings) = &domain.settings {
                (settings.check)(&config)?;
            }
        }
        Ok(config)
    }

    /// A domain's section, typed.
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        let table = self.sections.get(name).cloned().unwrap_or_default();
        toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| format!("[{name}]: {}", e.message()))
    }

    fn validate(&self) -> Result<(), String> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!("CRM_LISTEN must be an address like 127.0.0.1:8080, got {:?}", self.listen));
        }
        crate::db::Backend::from_url(&self.database_url)?;
        if self.database_pool_size == 0 {
            return Err("CRM_DATABASE_POOL_SIZE must be at least 1".into());
        }
        if !(100..=60_000).contains(&self.database_wait_ms) {
            return Err("CRM_DATABASE_WAIT_MS must be 100 to 60000".into());
        }
        if !self.secret_key.is_empty() && self.secret_key.expose().len() < 32 {
            return Err("CRM_SECRET_KEY must be at least 32 characters".into());
        }
        if self.access_token_ttl < 30 || self.refresh_token_ttl < self.access_token_ttl {
            return Err("token lifetimes: access_token_ttl >= 30 s and refresh_token_ttl >= access_token_ttl".into());
        }
        if self.rate_limit_per_minute == 0 || self.rate_limit_anonymous_per_minute == 0 {
            return Err("rate limits must be at least 1 per minute".into());
        }
        if self.job_poll_ms == 0 || self.job_lease_seconds < 2 {
            return Err("CRM_JOB_POLL_MS must be at least 1 and CRM_JOB_LEASE_SECONDS at least 2".into());
        }
        if self.max_body_bytes < 1024 {
            return Err("CRM_MAX_BODY_BYTES must be at least 1024".into());
        }
        if self.client_header_timeout_ms < 100 || self.client_body_timeout_ms < 100 {
            return Err("CRM_CLIENT_HEADER_TIMEOUT_MS and CRM_CLIENT_BODY_TIMEOUT_MS must be at least 100".into());
        }
        if !(1024..=131_072).contains(&self.max_header_bytes) {
            return Err("CRM_MAX_HEADER_BYTES must be 1024 to 131072 (the HTTP server's own limit)".into());
        }
        if self.max_connections_per_address == 0 {
            return Err("CRM_MAX_CONNECTIONS_PER_ADDRESS must be at least 1".into());
        }
        if !(1..=3650).contains(&self.event_retention_days) {
            return Err("CRM_EVENT_RETENTION_DAYS must be 1 to 3650".into());
        }
        crate::mail::check_settings(self)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults_load() {
        let config = Config::load_from(env(&[]), &[]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080");
        assert!(config.database_url.starts_with("sqlite://"));
    }

    #[test]
    fn environment_overrides_and_validates() {
        let config =
            Config::load_from(env(&[("CRM_LISTEN", "0.0.0.0:9000"), ("DATABASE_URL", "postgres://u:pw@h/db")]), &[])
                .unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(redact_url(&config.database_url), "postgres://u:***@h/db");
        assert!(Config::load_from(env(&[("CRM_LISTEN", "nowhere")]), &[]).unwrap_err().contains("CRM_LISTEN"));
        assert!(Config::load_from(env(&[("CRM_DATABASE_POOL_SIZE", "many")]), &[]).unwrap_err().contains("integer"));
        assert!(Config::load_from(env(&[("DATABASE_URL", "mysql://x")]), &[]).is_err());
        assert!(Config::load_from(env(&[("CRM_SECRET_KEY", "short")]), &[]).is_err());
    }

    #[test]
    fn secret_never_prints() {
        let config =
            Config::load_from(env(&[("CRM_SECRET_KEY", "0123456789abcdef0123456789abcdef-secret")]), &[]).unwrap();
        assert!(!format!("{config:?}").contains("secret\""));
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }
}
