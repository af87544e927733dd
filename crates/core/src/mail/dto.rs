//! Messages as the API shows them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::MailMessage;
use crate::http::ListQuery;

/// A message to send.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "to": ["ada@example.com"], "subject": "Your order #1042 has shipped",
    "text": "Hello Ada,\n\nYour order is on its way.\n\nAcme support",
    "html": "<p>Hello Ada,</p><p>Your order is on its way.</p><p>Acme support</p>",
    "record_type": "contact", "record_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a"
}))]
pub struct MailIn {
    /// 1 to 50 recipients.
    #[schema(min_items = 1, max_items = 50, value_type = Vec<String>, format = Email)]
    pub to: Vec<String>,
    /// One line, 1 to 998 characters.
    #[schema(min_length = 1, max_length = 998)]
    pub subject: String,
    /// The plain-text body (every message has one), up to 1 MiB.
    pub text: String,
    /// An HTML alternative of the same content.
    pub html: Option<String>,
    /// The Message-ID (without angle brackets) this one answers: mail clients thread it.
    #[schema(example = "msg_01jbz3m3x7f6ks6q0vd1tq2n5b@acme.example", max_length = 250)]
    pub in_reply_to: Option<String>,
    /// The Message-IDs of the thread, oldest first (the `References` header), at most 50.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub references: Vec<String>,
    /// What the message is about (`contact`, `ticket`, …), with `record_id`: the message log
    /// filters by it. Letters, digits, `_` and `-`.
    #[schema(min_length = 1, max_length = 100)]
    pub record_type: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub record_id: Option<String>,
}

/// A message as recorded: queued, then sent or failed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "msg_01jbz3m3x7f6ks6q0vd1tq2n5c", "message_id": "msg_01jbz3m3x7f6ks6q0vd1tq2n5c@acme.example",
    "from": "Acme support <support@acme.example>", "to": ["ada@example.com"],
    "subject": "Your order #1042 has shipped", "text": "Hello Ada,\n\nYour order is on its way.\n\nAcme support",
    "html": null, "in_reply_to": null, "references": [], "record_type": "contact",
    "record_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "status": "sent", "attempts": 1,
    "provider_id": "2.0.0 Ok: queued as 4XkQ1D0f3zz", "error": null,
    "created_by": "user_01jbz3m3x7f6ks6q0vd1tq2n5d", "created_at": "2026-12-07T10:15:02Z",
    "updated_at": "2026-12-07T10:15:03Z", "sent_at": "2026-12-07T10:15:03Z"
}))]
pub struct MailOut {
    pub id: String,
    /// Its `Message-ID` header, without angle brackets.
    pub message_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// `queued` (waiting for its next attempt), `sent` (the SMTP server took it) or `failed`
    /// (a permanent refusal, no server configured, or every attempt spent).
    #[schema(example = "sent")]
    pub status: String,
    pub attempts: i32,
    /// The SMTP server's answer when it took the message (its queue id).
    pub provider_id: Option<String>,
    /// The last attempt's error.
    pub error: Option<String>,
    /// The user or API key that sent it.
    pub created_by: String,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    #[serde(with = "crate::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<chrono::NaiveDateTime>,
}

impl From<MailMessage> for MailOut {
    fn from(m: MailMessage) -> Self {
        MailOut {
            to: m.to(),
            references: m.references(),
            id: m.id,
            message_id: m.message_id,
            from: m.from_address,
            subject: m.subject,
            text: m.text_body,
            html: m.html_body,
            in_reply_to: m.in_reply_to,
            record_type: m.record_type,
            record_id: m.record_id,
            status: m.status,
            attempts: m.attempts,
            provider_id: m.provider_id,
            error: m.error,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            sent_at: m.sent_at,
        }
    }
}

/// Filters and paging for `GET /v1/mail/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MailQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` or `-created_at` (default: newest first).
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
    /// `queued`, `sent` or `failed`.
    #[param(example = "failed")]
    pub status: Option<String>,
    #[param(example = "contact")]
    pub record_type: Option<String>,
    pub record_id: Option<String>,
}

impl MailQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
