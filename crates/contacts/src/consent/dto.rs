//! Consents as the API shows and takes them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::model::Consent;

/// A way to reach a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Phone,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What the person said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Granted,
    Denied,
    Withdrawn,
    /// Asked, not answered yet (a double opt-in waiting for its confirmation).
    Pending,
}

impl ConsentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Granted => "granted",
            ConsentStatus::Denied => "denied",
            ConsentStatus::Withdrawn => "withdrawn",
            ConsentStatus::Pending => "pending",
        }
    }
}

/// A consent as shown: `unknown` when nothing was ever recorded for the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    Granted,
    Denied,
    Withdrawn,
    Pending,
    Unknown,
}

impl ConsentState {
    fn parse(s: &str) -> ConsentState {
        match s {
            "granted" => ConsentState::Granted,
            "denied" => ConsentState::Denied,
            "withdrawn" => ConsentState::Withdrawn,
            "pending" => ConsentState::Pending,
            _ => ConsentState::Unknown,
        }
    }
}

/// The legal ground for processing (GDPR art. 6(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LawfulBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

impl LawfulBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            LawfulBasis::Consent => "consent",
            LawfulBasis::Contract => "contract",
            LawfulBasis::LegalObligation => "legal_obligation",
            LawfulBasis::VitalInterests => "vital_interests",
            LawfulBasis::PublicTask => "public_task",
            LawfulBasis::LegitimateInterests => "legitimate_interests",
        }
    }
}

/// A contact's consent on one channel, as recorded now.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "status": "granted", "lawful_basis": "consent", "source": "web_form:newsletter",
    "recorded_at": "2026-11-22T19:44:06Z"
}))]
pub struct ConsentIn {
    pub status: ConsentStatus,
    /// Default `consent` when `status` is `granted`, none otherwise.
    pub lawful_basis: Option<LawfulBasis>,
    /// Where the consent was collected (a form, a call, an import), up to 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub source: Option<String>,
    /// When the person gave or refused it (RFC 3339, not in the future); default now.
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recorded_at: Option<NaiveDateTime>,
}

/// A contact's consent on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "channel": "email", "status": "granted",
    "lawful_basis": "consent", "source": "web_form:newsletter", "recorded_at": "2026-11-22T19:44:06Z",
    "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct ConsentOut {
    pub contact_id: String,
    pub channel: Channel,
    pub status: ConsentState,
    pub lawful_basis: Option<LawfulBasis>,
    pub source: Option<String>,
    /// When it was given or refused; `null` while `unknown`.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recorded_at: Option<NaiveDateTime>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<NaiveDateTime>,
    /// 0 while `unknown`.
    pub version: i64,
}

impl ConsentOut {
    /// The consent of a channel where nothing was recorded.
    pub fn unknown(contact_id: &str, channel: Channel) -> ConsentOut {
        ConsentOut {
            contact_id: contact_id.to_string(),
            channel,
            status: ConsentState::Unknown,
            lawful_basis: None,
            source: None,
            recorded_at: None,
            updated_at: None,
            version: 0,
        }
    }
}

impl From<Consent> for ConsentOut {
    fn from(c: Consent) -> Self {
        let lawful_basis = c.lawful_basis.and_then(|b| serde_json::from_value(serde_json::Value::String(b)).ok());
        ConsentOut {
            channel: Channel::parse(&c.channel).unwrap_or(Channel::Email),
            status: ConsentState::parse(&c.status),
            contact_id: c.contact_id,
            lawful_basis,
            source: c.source,
            recorded_at: Some(c.recorded_at),
            updated_at: Some(c.updated_at),
            version: c.version,
        }
    }
}

/// A contact's consent on every channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactConsents {
    /// One per channel: `email`, `sms`, `phone`.
    pub data: Vec<ConsentOut>,
}
