//! The portal as customers (and the organizations minting their tokens) see it.

use chrono::NaiveDateTime;
use crm_core::http::ListQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::ticket::dto::{Channel, Priority, TicketOut, TicketStatus};

/// `POST /v1/customer-tokens`: a token for one of the organization's contacts.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[schema(as = CustomerTokenIn)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "expires_in_minutes": 60}))]
pub struct TokenIn {
    pub contact_id: String,
    /// 5 to 43,200 (30 days); default 60.
    #[validate(range(min = 5, max = 43200))]
    #[schema(minimum = 5, maximum = 43200)]
    pub expires_in_minutes: Option<i64>,
}

/// A customer token: shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CustomerTokenOut)]
#[schema(example = json!({"token": "crm_ct_3q2xJ0d8Wm5Ykz6bQ1rT9aHcVnE4uLpS7fGiOoYwXe", "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "expires_at": "2026-12-07T10:12:00Z"}))]
pub struct TokenOut {
    /// `Authorization: Bearer <token>` on `/v1/portal/…`.
    pub token: String,
    pub contact_id: String,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: NaiveDateTime,
}

/// `POST /v1/public/portal/{slug}/sign-in`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct SignInIn {
    #[validate(length(min = 3, max = 254))]
    #[schema(format = Email)]
    pub email: String,
}

/// `POST /v1/public/portal/{slug}/sessions`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "crm_ct_Zt6yq1mB0xW3aK9cR5dE8fH2jL4nP7sU0vX3zA6bC9"}))]
pub struct SessionIn {
    /// The one-time code from the sign-in e-mail.
    #[validate(length(min = 1, max = 200))]
    pub code: String,
}

/// The signed-in customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CustomerOut)]
#[schema(example = json!({"contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}))]
pub struct MeOut {
    pub contact_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

/// A ticket as its requester sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a", "number": 1042, "subject": "Cannot export invoices to PDF",
    "description": "Since this morning the export button does nothing.", "status": "open", "priority": "normal",
    "channel": "web", "solved_at": null, "rating": null,
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:20:00Z"
}))]
pub struct PortalTicketOut {
    pub id: String,
    pub number: i64,
    pub subject: String,
    pub description: Option<String>,
    pub status: TicketStatus,
    pub priority: Priority,
    pub channel: Channel,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub solved_at: Option<NaiveDateTime>,
    /// Their rating, once they gave one.
    pub rating: Option<crate::survey::dto::ResponseOut>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl PortalTicketOut {
    pub fn of(t: TicketOut, rating: Option<crate::survey::dto::ResponseOut>) -> PortalTicketOut {
        PortalTicketOut {
            id: t.id,
            number: t.number,
            subject: t.subject,
            description: t.description,
            status: t.status,
            priority: t.priority,
            channel: t.channel,
            solved_at: t.solved_at,
            rating,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A ticket the customer opens.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "Cannot export invoices to PDF", "description": "Since this morning the export button does nothing."}))]
pub struct PortalTicketIn {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub subject: String,
    #[validate(length(min = 1, max = 65536))]
    #[schema(min_length = 1, max_length = 65536)]
    pub description: String,
}

/// A reply by the customer.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Still broken, sorry."}))]
pub struct PortalReplyIn {
    #[validate(length(min = 1, max = 65536))]
    #[schema(min_length = 1, max_length = 65536)]
    pub body: String,
}

/// A public comment as the customer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "tcm_01jbz3m3x7f6ks6q0vd1tq2n5e", "body": "Could you try again?", "from_customer": false, "attachments": [], "created_at": "2026-12-07T09:20:00Z"}))]
pub struct PortalCommentOut {
    pub id: String,
    pub body: String,
    /// Whether the customer (or another contact) wrote it; otherwise an agent did.
    pub from_customer: bool,
    pub attachments: Vec<crate::comment::dto::AttachmentOut>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// `PUT /v1/portal/tickets/{id}/rating`: customer satisfaction with a solved ticket.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 5, "comment": "Quick and friendly."}))]
pub struct RatingIn {
    /// 1 (very unsatisfied) to 5 (very satisfied).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub score: i32,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// Paging for the customer's lists (newest first by default).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PortalQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl PortalQuery {
    pub fn paging(&self, sort: &str) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: Some(sort.to_string()) }
    }
}
