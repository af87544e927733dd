//! Suppression entries as the API shows and takes them.

use crm_core::http::ListQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Suppression;

/// Why an address must not be written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// The person unsubscribed (also added when their e-mail consent is withdrawn or denied).
    Unsubscribed,
    /// Mail to the address bounced for good.
    Bounced,
    /// The person marked a message as spam.
    Complained,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Unsubscribed => "unsubscribed",
            SuppressionReason::Bounced => "bounced",
            SuppressionReason::Complained => "complained",
        }
    }

    fn parse(s: &str) -> SuppressionReason {
        match s {
            "bounced" => SuppressionReason::Bounced,
            "complained" => SuppressionReason::Complained,
            _ => SuppressionReason::Unsubscribed,
        }
    }
}

/// An address to suppress.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "bounce@example.com", "reason": "bounced", "source": "smtp:550"}))]
pub struct SuppressionIn {
    /// Stored lower-cased.
    #[schema(format = Email, example = "bounce@example.com")]
    pub email: String,
    pub reason: SuppressionReason,
    /// Where it came from (`smtp:550`, `list-unsubscribe`, `support`), up to 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub source: Option<String>,
}

/// A suppressed address.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "sup_01jbz3m3x7f6ks6q0vd1tq2n5a", "email": "bounce@example.com", "reason": "bounced",
    "source": "smtp:550", "created_at": "2026-11-22T19:44:06Z"
}))]
pub struct SuppressionOut {
    pub id: String,
    pub email: String,
    pub reason: SuppressionReason,
    pub source: Option<String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
}

impl From<Suppression> for SuppressionOut {
    fn from(s: Suppression) -> Self {
        SuppressionOut {
            reason: SuppressionReason::parse(&s.reason),
            id: s.id,
            email: s.email,
            source: s.source,
            created_at: s.created_at,
        }
    }
}

/// Filters and paging for `GET /v1/email-suppressions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuppressionsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default) or `-created_at`.
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
    pub reason: Option<SuppressionReason>,
    /// This address only (case-insensitive).
    #[param(example = "bounce@example.com")]
    pub email: Option<String>,
}

impl SuppressionsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
