//! A team's ticket routing as the API shows and takes it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RoutingMethod)]
pub enum Method {
    /// Tickets for the team wait for someone to take them.
    Manual,
    /// Each new ticket goes to the next active member in turn.
    RoundRobin,
    /// Each new ticket goes to the active member with the fewest unsolved tickets.
    LeastOpen,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Manual => "manual",
            Method::RoundRobin => "round_robin",
            Method::LeastOpen => "least_open",
        }
    }

    pub fn parse(s: &str) -> Method {
        match s {
            "round_robin" => Method::RoundRobin,
            "least_open" => Method::LeastOpen,
            _ => Method::Manual,
        }
    }
}

/// `PUT /v1/teams/{id}/ticket-routing`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "round_robin"}))]
pub struct RoutingIn {
    pub method: Method,
}

/// How a team takes new tickets: a ticket created for the team without an assignee goes to the
/// member the method picks (`manual` until set).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "team_id": "team_01jbz3m3x7f6ks6q0vd1tq2n5a", "method": "round_robin",
    "last_assignee_id": "usr_01jbz3m3x7f6ks6q0vd1tq2n5b", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct RoutingOut {
    pub team_id: String,
    pub method: Method,
    /// Whose turn it was last (round robin).
    pub last_assignee_id: Option<String>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<chrono::NaiveDateTime>,
    pub version: i64,
}
