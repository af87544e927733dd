//! The webhook domain's section of the configuration: `[webhook]` in a `CRM_CONFIG` file,
//! `CRM_WEBHOOK_<KEY>` in the environment (`CRM_WEBHOOK_RETRY_SCHEDULE`, `CRM_WEBHOOK_ALLOW_PRIVATE`).

use std::time::Duration;

use crm_core::config::Config;
use serde::Deserialize;

pub const SECTION: &str = "webhook";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    retry_schedule: String,
    allow_private: bool,
    timeout_ms: u64,
    disable_after_hours: u64,
    concurrency: usize,
}

/// The section, parsed.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub retry_schedule: Vec<Duration>,
    pub allow_private: bool,
    pub timeout: Duration,
    pub disable_after: Duration,
    pub concurrency: usize,
}

impl WebhookSettings {
    pub fn of(config: &Config) -> Result<WebhookSettings, String> {
        let raw: Raw = config.section(SECTION)?;
        let retry_schedule = raw
            .retry_schedule
            .split(',')
            .map(|d| parse_duration(d.trim()))
            .collect::<Option<Vec<_>>>()
            .filter(|s| !s.is_empty() && s.len() <= 20)
            .ok_or_else(|| {
                format!(
                    "CRM_WEBHOOK_RETRY_SCHEDULE must be 1 to 20 comma-separated durations like 50ms,5s,5m,2h, got {:?}",
                    raw.retry_schedule
                )
            })?;
        if !(100..=60_000).contains(&raw.timeout_ms) {
            return Err("CRM_WEBHOOK_TIMEOUT_MS must be 100 to 60000".into());
        }
        if raw.disable_after_hours == 0 || !(1..=10_000).contains(&raw.concurrency) {
            return Err("CRM_WEBHOOK_DISABLE_AFTER_HOURS must be at least 1, CRM_WEBHOOK_CONCURRENCY 1 to 10000".into());
        }
        Ok(WebhookSettings {
            retry_schedule,
            allow_private: raw.allow_private,
            timeout: Duration::from_millis(raw.timeout_ms),
            disable_after: Duration::from_secs(raw.disable_after_hours * 3600),
            concurrency: raw.concurrency,
        })
    }

    /// How long a claimed delivery stays claimed: past the receiver's timeout, so that a live
    /// sender's attempt is never taken over, yet a dead sender's soon comes back.
    pub fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }
}

/// `50ms`, `5s`, `5m`, `2h`, `1d`.
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let millis = match unit {
        "ms" => n,
        "s" => n.checked_mul(1000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        "d" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(millis))
}

/// What the domain declares.
pub const SETTINGS: crm_core::config::Settings =
    crm_core::config::Settings { defaults: include_str!("../settings.default.toml"), check };

fn check(config: &Config) -> Result<(), String> {
    WebhookSettings::of(config).map(|_| ())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load_from(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()), &[&crate::DOMAIN])
    }

    #[test]
    fn the_default_schedule_is_the_conventions_one() {
        let settings = WebhookSettings::of(&load(&[]).unwrap()).unwrap();
        let minutes: Vec<u64> = settings.retry_schedule.iter().map(|d| d.as_secs()).collect();
        assert_eq!(minutes, [5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert!(!settings.allow_private);
        assert_eq!(settings.timeout, Duration::from_secs(15));
    }

    #[test]
    fn the_environment_sets_the_schedule_and_bad_values_are_refused() {
        let config = load(&[("CRM_WEBHOOK_RETRY_SCHEDULE", "50ms,100ms,1s"), ("CRM_WEBHOOK_ALLOW_PRIVATE", "true")]);
        let settings = WebhookSettings::of(&config.unwrap()).unwrap();
        assert_eq!(settings.retry_schedule, [50, 100, 1000].map(Duration::from_millis));
        assert!(settings.allow_private);
        let error = load(&[("CRM_WEBHOOK_RETRY_SCHEDULE", "5 fortnights")]).unwrap_err();
        assert!(error.contains("CRM_WEBHOOK_RETRY_SCHEDULE"), "{error}");
        assert!(load(&[("CRM_WEBHOOK_RETRY_SCHEDULE", "")]).is_err());
    }
}
