//! Deliveries and attempts as the API shows them.

use chrono::NaiveDateTime;
use crm_core::http::ListQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::{Attempt, Delivery};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet: an attempt is due at `next_attempt_at`.
    Pending,
    Succeeded,
    /// Every attempt of the retry schedule failed (redeliver it with retry or recover).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => super::model::PENDING,
            DeliveryStatus::Succeeded => super::model::SUCCEEDED,
            DeliveryStatus::Failed => super::model::FAILED,
        }
    }

    fn parse(s: &str) -> DeliveryStatus {
        match s {
            super::model::SUCCEEDED => DeliveryStatus::Succeeded,
            super::model::FAILED => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        }
    }
}

/// One HTTP request of a delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptOut {
    /// 1 for the first.
    pub attempt: i32,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub attempted_at: NaiveDateTime,
    /// The receiver's HTTP status (`null`: no answer).
    pub response_status: Option<i32>,
    pub latency_ms: i32,
    /// The first KiB of the receiver's answer.
    pub response_body: Option<String>,
    /// Why it failed without an answer (timeout, refused address, connection error), or what
    /// the answer meant (a redirect, which is not followed).
    pub error: Option<String>,
    /// When the next attempt was scheduled after this one (`null`: none).
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<NaiveDateTime>,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        AttemptOut {
            attempt: a.attempt,
            attempted_at: a.attempted_at,
            response_status: a.response_status,
            latency_ms: a.latency_ms,
            response_body: a.response_body,
            error: a.error,
            next_attempt_at: a.next_attempt_at,
        }
    }
}

/// An event's delivery to an endpoint. Every attempt carries the same `webhook-id` (the event id).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "whdel_01jbz3m3x7f6ks6q0vd1tq2n5a", "endpoint_id": "whep_01jbz3m3x7f6ks6q0vd1tq2n5b",
    "event_id": "evt_01jbz3m3x7f6ks6q0vd1tq2n5c", "event_type": "contact.created", "status": "pending",
    "attempt_count": 1, "next_attempt_at": "2026-11-22T19:44:11Z", "last_response_status": 503,
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z",
    "attempts": [{"attempt": 1, "attempted_at": "2026-11-22T19:44:06Z", "response_status": 503, "latency_ms": 41,
        "response_body": "upstream unavailable", "error": null, "next_attempt_at": "2026-11-22T19:44:11Z"}]
}))]
pub struct DeliveryOut {
    pub id: String,
    pub endpoint_id: String,
    /// Also the `webhook-id` header of every attempt.
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: i32,
    /// When the next attempt is due (`null` unless pending).
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_response_status: Option<i32>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub attempts: Vec<AttemptOut>,
}

impl DeliveryOut {
    pub fn of(d: Delivery, attempts: Vec<Attempt>) -> DeliveryOut {
        let status = DeliveryStatus::parse(&d.status);
        DeliveryOut {
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status,
            attempt_count: d.attempts,
            last_response_status: d.last_status,
            created_at: d.created_at,
            updated_at: d.updated_at,
            attempts: attempts.into_iter().map(AttemptOut::from).collect(),
        }
    }
}

/// Filters and paging for an endpoint's deliveries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default), `-created_at` for the newest first.
    #[param(pattern = "^-?(created_at)$")]
    pub sort: Option<String>,
    pub status: Option<DeliveryStatus>,
    #[param(example = "contact.created")]
    pub event_type: Option<String>,
    /// Created at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-22T00:00:00Z")]
    pub created_after: Option<String>,
    /// Created before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-23T00:00:00Z")]
    pub created_before: Option<String>,
}

impl DeliveriesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// What to redeliver.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"since": "2026-11-22T00:00:00Z"}))]
pub struct RecoverIn {
    /// Every delivery created since this time (RFC 3339) that failed for good is sent again.
    #[schema(value_type = String, format = DateTime)]
    pub since: String,
}

/// How many deliveries a recovery made due again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"redelivering": 12}))]
pub struct RecoverOut {
    pub redelivering: usize,
}
