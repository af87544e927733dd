//! SLA policies, and a ticket's SLA, as the API shows and takes them.

use chrono::NaiveDateTime;
use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Policy;

/// What a policy's targets count: `business` time (the organization's business hours) or
/// `calendar` time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    Business,
    Calendar,
}

impl Clock {
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Business => "business",
            Clock::Calendar => "calendar",
        }
    }
}

/// What a breach does to the ticket, besides `ticket.sla_breached`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Raise the priority a level (low → normal → high → urgent).
    #[serde(default)]
    pub raise_priority: bool,
    /// Hand the ticket to this team: its ticket routing picks the assignee (none when manual).
    pub team_id: Option<String>,
}

/// A new SLA policy.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Urgent tickets", "position": 1,
    "filter": {"field": "priority", "op": "eq", "value": "urgent"},
    "first_response_minutes": 60, "resolution_minutes": 480, "clock": "business", "warn_before_minutes": 15,
    "escalation": {"raise_priority": false, "team_id": null}
}))]
pub struct SlaPolicyIn {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Policies are tried by position, lowest first; the first that matches a ticket sets its
    /// targets. Default 0.
    #[validate(range(min = 0, max = 10000))]
    #[schema(minimum = 0, maximum = 10000)]
    pub position: Option<i32>,
    /// A filter of the filter language over tickets (priority, channel, company_id, tags…);
    /// none matches every ticket.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Minutes until an agent's first public reply is due.
    #[validate(range(min = 1, max = 525600))]
    #[schema(minimum = 1, maximum = 525600)]
    pub first_response_minutes: Option<i32>,
    /// Minutes until the ticket is due solved (not counting while it is pending).
    #[validate(range(min = 1, max = 525600))]
    #[schema(minimum = 1, maximum = 525600)]
    pub resolution_minutes: Option<i32>,
    /// Default `business`.
    pub clock: Option<Clock>,
    /// `ticket.sla_warning` this many minutes (of the clock) before a target is due; 0, the
    /// default, announces no warnings.
    #[validate(range(min = 0, max = 10080))]
    #[schema(minimum = 0, maximum = 10080)]
    pub warn_before_minutes: Option<i32>,
    pub escalation: Option<Escalation>,
}

/// Changes to a policy (JSON merge patch). Tickets keep the due times they have; a ticket's
/// next change matches it again.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resolution_minutes": 240}))]
pub struct SlaPolicyPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub position: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub filter: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub first_response_minutes: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub resolution_minutes: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Clock)]
    pub clock: Patch<Clock>,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub warn_before_minutes: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Escalation)]
    pub escalation: Patch<Escalation>,
}

/// An SLA policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "sla_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Urgent tickets", "position": 1,
    "filter": {"field": "priority", "op": "eq", "value": "urgent"},
    "first_response_minutes": 60, "resolution_minutes": 480, "clock": "business", "warn_before_minutes": 15,
    "escalation": {"raise_priority": false, "team_id": null},
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct SlaPolicyOut {
    pub id: String,
    pub name: String,
    pub position: i32,
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    pub first_response_minutes: Option<i32>,
    pub resolution_minutes: Option<i32>,
    pub clock: Clock,
    pub warn_before_minutes: i32,
    pub escalation: Escalation,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl From<Policy> for SlaPolicyOut {
    fn from(p: Policy) -> Self {
        SlaPolicyOut {
            id: p.id,
            name: p.name,
            position: p.position,
            filter: p.filter.and_then(|f| serde_json::from_str(&f).ok()),
            first_response_minutes: p.first_response_minutes,
            resolution_minutes: p.resolution_minutes,
            clock: if p.clock == "calendar" { Clock::Calendar } else { Clock::Business },
            warn_before_minutes: p.warn_before_minutes,
            escalation: Escalation { raise_priority: p.raise_priority != 0, team_id: p.escalation_team_id },
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

impl From<SlaPolicyOut> for SlaPolicyIn {
    fn from(p: SlaPolicyOut) -> Self {
        SlaPolicyIn {
            name: p.name,
            position: Some(p.position),
            filter: p.filter,
            first_response_minutes: p.first_response_minutes,
            resolution_minutes: p.resolution_minutes,
            clock: Some(p.clock),
            warn_before_minutes: Some(p.warn_before_minutes),
            escalation: Some(p.escalation),
        }
    }
}

/// Paging for `GET /v1/sla-policies` (by position).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SlaPoliciesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    #[param(pattern = "^-?(position)$")]
    pub sort: Option<String>,
}

impl SlaPoliciesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Running, not due yet.
    Active,
    /// The ticket is pending: the resolution clock waits.
    Paused,
    /// Met in time.
    Met,
    /// Missed.
    Breached,
}

/// One target of a ticket's SLA.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetOut {
    /// When it is due (a paused resolution's moves on when the ticket stops pending).
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due_at: NaiveDateTime,
    pub status: TargetStatus,
}

/// A ticket's SLA: the policy it matched and its targets.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "policy_id": "sla_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "first_response": {"due_at": "2026-12-07T10:12:00Z", "status": "met"},
    "resolution": {"due_at": "2026-12-07T17:12:00Z", "status": "active"}
}))]
pub struct SlaOut {
    pub policy_id: String,
    pub first_response: Option<TargetOut>,
    pub resolution: Option<TargetOut>,
}
