//! Pieces shared by the domain's records.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// The kind of an e-mail address, phone number or address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    #[default]
    Work,
    Home,
    Mobile,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(rename = "type", default)]
    pub kind: ChannelKind,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub line1: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub line2: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub city: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub region: Option<String>,
    #[validate(length(max = 20))]
    #[schema(max_length = 20)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[validate(custom(function = "two_letters"))]
    #[schema(pattern = "^[A-Za-z]{2}$", example = "GB")]
    pub country: Option<String>,
}

/// Two ASCII letters: checked as such, not by length, since `ß` upper-cases to `SS`.
fn two_letters(country: &str) -> Result<(), validator::ValidationError> {
    if country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_country")
            .with_message("must be two letters (ISO 3166-1 alpha-2)".into()))
    }
}

/// Upper-cases country codes; the rest is checked by `Validate`.
pub fn normalize_addresses(addresses: Option<Vec<Address>>) -> Vec<Address> {
    addresses
        .unwrap_or_default()
        .into_iter()
        .map(|mut a| {
            a.country = a.country.map(|c| c.to_ascii_uppercase());
            a
        })
        .collect()
}
