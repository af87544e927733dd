//! Subscription types and contacts' subscriptions as the API shows and takes them.

use chrono::NaiveDateTime;
use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::{Subscription, SubscriptionType};
use crate::consent::dto::Channel;

/// A new subscription type.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Monthly newsletter", "description": "News and offers, once a month", "channel": "email"}))]
pub struct SubscriptionTypeIn {
    /// Unique in the organization.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Default `email`.
    pub channel: Option<Channel>,
}

/// Changes to a subscription type (JSON merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "News and offers, twice a month"}))]
pub struct SubscriptionTypePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Channel)]
    pub channel: Patch<Channel>,
}

/// Something contacts can subscribe to.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "subt_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Monthly newsletter",
    "description": "News and offers, once a month", "channel": "email",
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct SubscriptionTypeOut {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub channel: Channel,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl From<SubscriptionType> for SubscriptionTypeOut {
    fn from(t: SubscriptionType) -> Self {
        SubscriptionTypeOut {
            channel: Channel::parse(&t.channel).unwrap_or(Channel::Email),
            id: t.id,
            name: t.name,
            description: t.description,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// Filters and paging for `GET /v1/subscription-types`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionTypesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default) or `name`, `-` for descending.
    #[param(pattern = "^-?(created_at|name)$")]
    pub sort: Option<String>,
    pub channel: Option<Channel>,
}

impl SubscriptionTypesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// Whether a contact subscribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Subscribed,
    Unsubscribed,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Subscribed => "subscribed",
            SubscriptionStatus::Unsubscribed => "unsubscribed",
        }
    }
}

/// A contact's subscription as shown: `not_subscribed` when nothing was ever recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    Subscribed,
    Unsubscribed,
    NotSubscribed,
}

/// A contact's choice for one subscription type.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "subscribed", "source": "preference_center"}))]
pub struct SubscriptionIn {
    pub status: SubscriptionStatus,
    /// Where the choice was made, up to 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub source: Option<String>,
}

/// A contact's subscription to one type.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "subscription_type_id": "subt_01jbz3m3x7f6ks6q0vd1tq2n5b",
    "name": "Monthly newsletter", "channel": "email", "status": "subscribed", "source": "preference_center",
    "updated_at": "2026-11-22T19:44:06Z"
}))]
pub struct ContactSubscriptionOut {
    pub contact_id: String,
    pub subscription_type_id: String,
    pub name: String,
    pub channel: Channel,
    pub status: SubscriptionState,
    pub source: Option<String>,
    /// When the status was last set; `null` while `not_subscribed`.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<NaiveDateTime>,
}

impl ContactSubscriptionOut {
    pub fn from_parts(contact_id: &str, kind: &SubscriptionType, row: Option<&Subscription>) -> Self {
        let status = match row.map(|r| r.status.as_str()) {
            Some("subscribed") => SubscriptionState::Subscribed,
            Some(_) => SubscriptionState::Unsubscribed,
            None => SubscriptionState::NotSubscribed,
        };
        ContactSubscriptionOut {
            contact_id: contact_id.to_string(),
            subscription_type_id: kind.id.clone(),
            name: kind.name.clone(),
            channel: Channel::parse(&kind.channel).unwrap_or(Channel::Email),
            status,
            source: row.and_then(|r| r.source.clone()),
            updated_at: row.map(|r| r.updated_at),
        }
    }
}

/// A contact's status for every subscription type of the organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactSubscriptions {
    pub data: Vec<ContactSubscriptionOut>,
}
