//! Tickets as the API shows and takes them.

use std::collections::BTreeMap;

use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Ticket;

/// Where a ticket stands. `new` until someone works it; `pending` waits on the requester,
/// `on_hold` on a third party; a `solved` ticket reopens when the requester writes again; a
/// `closed` one is final (and read-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    New,
    Open,
    Pending,
    OnHold,
    Solved,
    Closed,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::OnHold => "on_hold",
            TicketStatus::Solved => "solved",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> TicketStatus {
        match s {
            "open" => TicketStatus::Open,
            "pending" => TicketStatus::Pending,
            "on_hold" => TicketStatus::OnHold,
            "solved" => TicketStatus::Solved,
            "closed" => TicketStatus::Closed,
            _ => TicketStatus::New,
        }
    }

    /// Whether a ticket may go from `self` to `to` (staying is always allowed): nothing goes
    /// back to `new`, only a solved ticket closes, and a closed one stays closed.
    pub fn may_become(self, to: TicketStatus) -> bool {
        use TicketStatus::*;
        self == to
            || match (self, to) {
                (Closed, _) | (_, New) => false,
                (Solved, to) => matches!(to, Open | Closed),
                (_, Closed) => false,
                _ => true,
            }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Priority {
        match s {
            "low" => Priority::Low,
            "high" => Priority::High,
            "urgent" => Priority::Urgent,
            _ => Priority::Normal,
        }
    }
}

/// How the ticket came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = TicketChannel)]
pub enum Channel {
    Email,
    Web,
    Phone,
    Chat,
    Api,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Web => "web",
            Channel::Phone => "phone",
            Channel::Chat => "chat",
            Channel::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Channel {
        match s {
            "email" => Channel::Email,
            "web" => Channel::Web,
            "phone" => Channel::Phone,
            "chat" => Channel::Chat,
            _ => Channel::Api,
        }
    }
}

/// A new ticket.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "subject": "Cannot export invoices to PDF", "description": "Since this morning the export button does nothing.",
    "priority": "high", "channel": "phone", "requester_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c",
    "tags": ["billing"], "external_ids": {"zendesk": "4711"}
}))]
pub struct TicketIn {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub subject: String,
    #[validate(length(max = 65536))]
    #[schema(max_length = 65536)]
    pub description: Option<String>,
    /// Default `new`; a ticket cannot be created `closed`.
    pub status: Option<TicketStatus>,
    /// Default `normal`.
    pub priority: Option<Priority>,
    /// Default `api`.
    pub channel: Option<Channel>,
    /// The contact who asked.
    pub requester_id: Option<String>,
    pub company_id: Option<String>,
    /// The agent working it: an active user.
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub external_ids: Option<BTreeMap<String, String>>,
    /// Values of the organization's custom fields, by key (see `/v1/custom-fields`).
    #[schema(value_type = Option<Object>, example = json!({"product_area": "invoicing"}))]
    pub custom: Option<Map<String, Value>>,
}

/// Changes to a ticket (JSON merge patch). A closed ticket takes none.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "pending", "assignee_id": "usr_01jbz3m3x7f6ks6q0vd1tq2n5b"}))]
pub struct TicketPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub subject: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = TicketStatus)]
    pub status: Patch<TicketStatus>,
    #[serde(default)]
    #[schema(value_type = Priority)]
    pub priority: Patch<Priority>,
    #[serde(default)]
    #[schema(value_type = Channel)]
    pub channel: Patch<Channel>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub requester_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub company_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub assignee_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub team_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub external_ids: Patch<BTreeMap<String, String>>,
    /// Merged key by key: a key set to `null` removes that value, keys not given are kept.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom: Patch<Map<String, Value>>,
}

/// A ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a", "number": 1042, "subject": "Cannot export invoices to PDF",
    "description": "Since this morning the export button does nothing.", "status": "open", "priority": "high",
    "channel": "email", "requester_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "company_id": null,
    "assignee_id": "usr_01jbz3m3x7f6ks6q0vd1tq2n5b", "team_id": null,
    "first_responded_at": "2026-12-07T09:20:00Z", "solved_at": null, "closed_at": null, "reopened_count": 0,
    "sla": {
        "policy_id": "sla_01jbz3m3x7f6ks6q0vd1tq2n5a",
        "first_response": {"due_at": "2026-12-07T10:12:00Z", "status": "met"},
        "resolution": {"due_at": "2026-12-07T17:12:00Z", "status": "active"}
    },
    "tags": ["billing"], "external_ids": {"zendesk": "4711"}, "custom": {},
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:20:00Z", "version": 3
}))]
pub struct TicketOut {
    pub id: String,
    /// The organization's ticket number: `[#1042]` in an e-mail's subject names the ticket.
    pub number: i64,
    pub subject: String,
    pub description: Option<String>,
    pub status: TicketStatus,
    pub priority: Priority,
    pub channel: Channel,
    pub requester_id: Option<String>,
    pub company_id: Option<String>,
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    /// When an agent first replied in public.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_responded_at: Option<chrono::NaiveDateTime>,
    /// When it was last solved (cleared when it reopens).
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub solved_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<chrono::NaiveDateTime>,
    /// How many times it went from solved back to open.
    pub reopened_count: i32,
    /// Its SLA: the policy it matched, and each target's due time and status (`null` when no
    /// policy takes it).
    pub sla: Option<crate::sla::dto::SlaOut>,
    pub tags: Vec<String>,
    pub external_ids: BTreeMap<String, String>,
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl From<Ticket> for TicketOut {
    fn from(t: Ticket) -> Self {
        let sla = crate::sla::service::shown(&t, crm_core::time::now());
        TicketOut {
            id: t.id,
            number: t.number,
            subject: t.subject,
            description: t.description,
            status: TicketStatus::parse(&t.status),
            priority: Priority::parse(&t.priority),
            channel: Channel::parse(&t.channel),
            requester_id: t.requester_id,
            company_id: t.company_id,
            assignee_id: t.assignee_id,
            team_id: t.team_id,
            first_responded_at: t.first_responded_at,
            solved_at: t.solved_at,
            closed_at: t.closed_at,
            reopened_count: t.reopened_count,
            sla,
            tags: serde_json::from_str(&t.tags).unwrap_or_default(),
            external_ids: serde_json::from_str(&t.external_ids).unwrap_or_default(),
            custom: crm_core::custom_fields::values::parse_stored(&t.custom),
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

impl From<TicketOut> for TicketIn {
    fn from(t: TicketOut) -> Self {
        TicketIn {
            subject: t.subject,
            description: t.description,
            status: Some(t.status),
            priority: Some(t.priority),
            channel: Some(t.channel),
            requester_id: t.requester_id,
            company_id: t.company_id,
            assignee_id: t.assignee_id,
            team_id: t.team_id,
            tags: Some(t.tags),
            external_ids: Some(t.external_ids),
            custom: Some(t.custom),
        }
    }
}

/// Filters and paging for `GET /v1/tickets`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TicketsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// A field to sort by, `-` for descending. Default `created_at`.
    #[param(pattern = "^-?(created_at|updated_at|number|custom\\.[a-z][a-z0-9_]{0,62})$")]
    pub sort: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub requester_id: Option<String>,
    pub company_id: Option<String>,
    pub tag: Option<String>,
    /// A filter of the filter language as JSON (as in `POST …/search`).
    pub filter: Option<String>,
}

impl TicketsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// One input of a ticket batch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketBatchInput {
    /// The ticket to update, with `match_on: "id"`.
    pub id: Option<String>,
    pub properties: TicketIn,
}

/// Up to 1,000 tickets created, updated or upserted in one request (each input is validated on
/// its own, so one bad input fails alone).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mode": "upsert", "match_on": "external_id:zendesk",
    "inputs": [
        {"properties": {"subject": "Cannot export invoices to PDF", "priority": "high", "external_ids": {"zendesk": "4711"}}},
        {"properties": {"subject": "Password reset mail never arrives", "external_ids": {"zendesk": "4712"}}}
    ]
}))]
pub struct TicketBatchRequest {
    /// 1 to 1,000.
    #[schema(min_items = 1, max_items = 1000)]
    pub inputs: Vec<TicketBatchInput>,
    pub mode: crm_core::batch::BatchMode,
    /// `external_id:<source>` or `id`. Needed to update or upsert; an update sets the fields an
    /// input gives.
    #[schema(example = "external_id:zendesk", pattern = r"^(id|external_id:[a-z0-9_-]{1,32})$")]
    pub match_on: Option<String>,
    /// All inputs commit together or none does (then a failure answers 422). Default false:
    /// each input commits or fails on its own.
    #[serde(default)]
    pub atomic: bool,
}

/// `GET /v1/tickets/queue`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Whose queue: default the caller's own (an API key's: its creator's).
    pub assignee_id: Option<String>,
    /// 1–100, default 25.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}
