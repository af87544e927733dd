//! The event object and the feed's parameters.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::Event;
use crate::error::ApiResult;

/// Who caused an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventActor {
    /// `user`, `api_key` or `system`.
    #[serde(rename = "type")]
    #[schema(example = "api_key")]
    pub actor_type: String,
    #[schema(example = "key_01jbz3m3x7f6ks6q0vd1tq2n5a")]
    pub id: String,
}

/// Something that changed, as the changes feed and webhooks deliver it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "evt_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "seq": 1042,
    "type": "user.updated",
    "created_at": "2026-11-22T19:44:06Z",
    "actor": {"type": "user", "id": "user_01jbz3m3x7f6ks6q0vd1tq2n5b"},
    "data": {"object": {"id": "user_01jbz3m3x7f6ks6q0vd1tq2n5c", "role": "manager"}, "previous_attributes": {"role": "sales"}}
}))]
pub struct EventOut {
    pub id: String,
    /// Position in the organization's feed: strictly increasing, never reused.
    pub seq: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    pub actor: EventActor,
    /// `object`: the record after the change (before it, for deletions);
    /// `previous_attributes`: the old values of the fields an update changed.
    /// (Sent as stored: the feed, the stream and webhooks never parse it again.)
    #[schema(value_type = Object)]
    pub data: Box<serde_json::value::RawValue>,
}

impl EventOut {
    pub fn from_row(row: Event) -> ApiResult<EventOut> {
        Ok(EventOut {
            id: row.id,
            seq: row.seq.unwrap_or_default(),
            event_type: row.event_type,
            created_at: row.created_at,
            actor: EventActor { actor_type: row.actor_type, id: row.actor_id },
            data: serde_json::value::RawValue::from_string(row.data)?,
        })
    }
}

/// Changes-feed parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Return events with `seq` greater than this (the `next_after` of the previous page). Default 0.
    #[param(minimum = 0, example = 1041)]
    pub after: Option<i64>,
    /// Comma-separated types; `contact.*` matches every contact event.
    #[param(pattern = "^([a-z_.]+(\\.\\*)?(,[a-z_.]+(\\.\\*)?)*)?$", example = "user.*,api_key.created")]
    pub types: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000, example = 100)]
    pub limit: Option<i64>,
    /// Seconds (0–30) to wait for an event when none is there yet (long poll).
    #[param(minimum = 0, maximum = 30, example = 0)]
    pub wait: Option<u64>,
}

/// A page of the changes feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "data": [{
        "id": "evt_01jbz3m3x7f6ks6q0vd1tq2n5a", "seq": 1042, "type": "user.created", "created_at": "2026-11-22T19:44:06Z",
        "actor": {"type": "api_key", "id": "key_01jbz3m3x7f6ks6q0vd1tq2n5b"},
        "data": {"object": {"id": "user_01jbz3m3x7f6ks6q0vd1tq2n5c", "email": "grace@example.com", "role": "sales"}}
    }],
    "has_more": false,
    "next_after": 1042
}))]
pub struct EventPage {
    pub data: Vec<EventOut>,
    /// Whether more events follow right away.
    pub has_more: bool,
    /// Pass as `after` for the next page (the last `seq` returned, or `after` unchanged).
    pub next_after: i64,
}

/// Live-stream parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Start after this `seq` (the `Last-Event-ID` header, which a reconnecting client sends,
    /// takes precedence). Default: the current end of the feed, so only new events follow.
    #[param(minimum = 0, example = 1041)]
    pub after: Option<i64>,
    /// Comma-separated types; `contact.*` matches every contact event.
    #[param(pattern = "^([a-z_.]+(\\.\\*)?(,[a-z_.]+(\\.\\*)?)*)?$", example = "contact.*,company.created")]
    pub types: Option<String>,
    /// Seconds (1–60) between heartbeat comments when no event comes. Default 15.
    #[param(minimum = 1, maximum = 60, example = 15)]
    pub heartbeat: Option<u64>,
}
