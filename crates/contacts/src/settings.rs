//! The contacts domain's section of the configuration: `[contacts]` in a `CRM_CONFIG` file,
//! `CRM_CONTACTS_<KEY>` in the environment.

use crm_core::config::Config;
use serde::Deserialize;

pub const SECTION: &str = "contacts";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsSettings {
    pub trash_retention_days: i64,
    pub import_max_row_bytes: usize,
    pub import_max_cell_bytes: usize,
}

impl ContactsSettings {
    /// The section as loaded (checked at start-up, so this only fails on a config built by hand).
    pub fn of(config: &Config) -> Result<ContactsSettings, String> {
        config.section(SECTION)
    }
}

/// What the domain declares.
pub const SETTINGS: crm_core::config::Settings =
    crm_core::config::Settings { defaults: include_str!("../settings.default.toml"), check };

fn check(config: &Config) -> Result<(), String> {
    let settings = ContactsSettings::of(config)?;
    if !(1..=3650).contains(&settings.trash_retention_days) {
        return Err("CRM_CONTACTS_TRASH_RETENTION_DAYS must be 1 to 3650".into());
    }
    let limits = 1024..=16 << 20;
    if !limits.contains(&settings.import_max_row_bytes) || !limits.contains(&settings.import_max_cell_bytes) {
        return Err("CRM_CONTACTS_IMPORT_MAX_ROW_BYTES and _MAX_CELL_BYTES must be 1024 to 16777216".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load_from(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()), &[&crate::DOMAIN])
    }

    #[test]
    fn the_section_has_defaults_and_environment_overrides() {
        assert_eq!(ContactsSettings::of(&load(&[]).unwrap()).unwrap().trash_retention_days, 30);
        let config = load(&[("CRM_CONTACTS_TRASH_RETENTION_DAYS", "7")]).unwrap();
        assert_eq!(ContactsSettings::of(&config).unwrap().trash_retention_days, 7);
        let error = load(&[("CRM_CONTACTS_TRASH_RETENTION_DAYS", "0")]).unwrap_err();
        assert!(error.contains("CRM_CONTACTS_TRASH_RETENTION_DAYS"), "{error}");
        assert!(load(&[("CRM_CONTACTS_TRASH_RETENTION_DAYS", "soon")]).unwrap_err().contains("integer"));
    }

    #[test]
    fn a_config_file_sets_the_section_and_refuses_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9999\"\n[contacts]\ntrash_retention_days = 90\n").unwrap();
        let config = load(&[("CRM_CONFIG", path.to_str().unwrap())]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9999");
        assert_eq!(ContactsSettings::of(&config).unwrap().trash_retention_days, 90);
        std::fs::write(&path, "[contacts]\nretention = 90\n").unwrap();
        let error = load(&[("CRM_CONFIG", path.to_str().unwrap())]).unwrap_err();
        assert!(error.contains("[contacts]") && error.contains("retention"), "{error}");
        std::fs::write(&path, "[sales]\nquota = 1\n").unwrap();
        assert!(load(&[("CRM_CONFIG", path.to_str().unwrap())]).unwrap_err().contains("sales"));
    }
}
