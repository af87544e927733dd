//! Activities as the API shows and takes them.

use chrono::NaiveDateTime;
use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::{Activity, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Note,
    Task,
    Call,
    Meeting,
    Email,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Note => "note",
            ActivityKind::Task => "task",
            ActivityKind::Call => "call",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<ActivityKind> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// A new activity. It is about at least one contact or company.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "call", "subject": "Renewal call", "body": "Wants the annual plan.", "direction": "outbound",
    "duration_seconds": 540, "outcome": "interested", "occurred_at": "2026-11-22T15:00:00Z",
    "contact_ids": ["con_01jbz3m3x7f6ks6q0vd1tq2n5a"]
}))]
pub struct ActivityIn {
    pub kind: ActivityKind,
    /// Required for tasks and e-mails.
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub subject: Option<String>,
    /// Required for notes.
    #[validate(length(max = 100000))]
    #[schema(max_length = 100000)]
    pub body: Option<String>,
    /// When it happened (default: now).
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<NaiveDateTime>,
    /// Tasks: when it is due.
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<NaiveDateTime>,
    /// Tasks: `open` (default) or `done`.
    pub status: Option<TaskStatus>,
    /// Tasks: who should do it (an active user).
    pub assignee_id: Option<String>,
    /// Calls and e-mails.
    pub direction: Option<Direction>,
    /// Calls.
    #[validate(range(min = 0, max = 86400))]
    #[schema(minimum = 0, maximum = 86400)]
    pub duration_seconds: Option<i64>,
    /// Calls: how it went.
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub outcome: Option<String>,
    /// Meetings: required.
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<NaiveDateTime>,
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<NaiveDateTime>,
    /// Meetings: who attends (names or e-mail addresses).
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub attendees: Option<Vec<String>>,
    /// E-mails: the Message-ID header.
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub message_id: Option<String>,
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub contact_ids: Option<Vec<String>>,
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub company_ids: Option<Vec<String>>,
    /// Records of any type with a timeline (`contact`, `company`, and the other domains'),
    /// beside `contact_ids` and `company_ids`.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub about: Option<Vec<RecordRef>>,
}

/// A record an activity is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"record_type": "company", "id": "co_01jbz3m3x7f6ks6q0vd1tq2n5d"}))]
pub struct RecordRef {
    #[schema(min_length = 1, max_length = 64)]
    pub record_type: String,
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
}

/// Changes to an activity (JSON merge patch); the kind cannot change.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done"}))]
pub struct ActivityPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub subject: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub body: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<TaskStatus>)]
    pub status: Patch<TaskStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub assignee_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Direction>)]
    pub direction: Patch<Direction>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub duration_seconds: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub outcome: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub attendees: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub contact_ids: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub company_ids: Patch<Vec<String>>,
    /// Replaces every record the activity is about; `contact_ids` and `company_ids` then
    /// replace those of their type.
    #[serde(default)]
    #[schema(value_type = Option<Vec<RecordRef>>, max_items = 50)]
    pub about: Patch<Vec<RecordRef>>,
}

/// A note, task, call, meeting or logged e-mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "act_01jbz3m3x7f6ks6q0vd1tq2n5a", "kind": "task", "subject": "Send the quote", "body": null,
    "occurred_at": "2026-11-22T19:44:06Z", "due_at": "2026-11-25T17:00:00Z", "status": "open",
    "assignee_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5b", "direction": null, "duration_seconds": null, "outcome": null,
    "starts_at": null, "ends_at": null, "attendees": [], "message_id": null,
    "contact_ids": ["con_01jbz3m3x7f6ks6q0vd1tq2n5c"], "company_ids": [],
    "about": [{"record_type": "contact", "id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c"}],
    "created_by": "user_01jbz3m3x7f6ks6q0vd1tq2n5b",
    "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
}))]
pub struct ActivityOut {
    pub id: String,
    pub kind: ActivityKind,
    pub subject: Option<String>,
    pub body: Option<String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<NaiveDateTime>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<String>,
    pub direction: Option<Direction>,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<NaiveDateTime>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<NaiveDateTime>,
    pub attendees: Vec<String>,
    pub message_id: Option<String>,
    pub contact_ids: Vec<String>,
    pub company_ids: Vec<String>,
    /// Every record it is about, of every type (contacts and companies included).
    pub about: Vec<RecordRef>,
    /// The user who logged it.
    pub created_by: String,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

fn parse_enum<T: serde::de::DeserializeOwned>(value: Option<String>) -> Option<T> {
    value.and_then(|v| serde_json::from_value(serde_json::Value::String(v)).ok())
}

impl ActivityOut {
    pub fn from_parts(a: Activity, targets: Vec<Target>) -> ActivityOut {
        let ids = |record_type: &str| {
            targets.iter().filter(|t| t.record_type == record_type).map(|t| t.record_id.clone()).collect()
        };
        ActivityOut {
            kind: ActivityKind::parse(&a.kind).unwrap_or(ActivityKind::Note),
            status: parse_enum(a.status),
            direction: parse_enum(a.direction),
            attendees: serde_json::from_str(&a.attendees).unwrap_or_default(),
            contact_ids: ids("contact"),
            company_ids: ids("company"),
            about: targets
                .iter()
                .map(|t| RecordRef { record_type: t.record_type.clone(), id: t.record_id.clone() })
                .collect(),
            id: a.id,
            subject: a.subject,
            body: a.body,
            occurred_at: a.occurred_at,
            due_at: a.due_at,
            assignee_id: a.assignee_id,
            duration_seconds: a.duration_seconds,
            outcome: a.outcome,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            message_id: a.message_id,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

impl From<ActivityOut> for ActivityIn {
    fn from(a: ActivityOut) -> Self {
        ActivityIn {
            kind: a.kind,
            subject: a.subject,
            body: a.body,
            occurred_at: Some(a.occurred_at),
            due_at: a.due_at,
            status: a.status,
            assignee_id: a.assignee_id,
            direction: a.direction,
            duration_seconds: a.duration_seconds,
            outcome: a.outcome,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            attendees: Some(a.attendees),
            message_id: a.message_id,
            contact_ids: Some(a.contact_ids),
            company_ids: Some(a.company_ids),
            about: Some(a.about),
        }
    }
}

/// Filters and paging for `GET /v1/activities`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivitiesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `occurred_at` or `due_at` (tasks with a due date), `-` for descending. Default `-occurred_at`.
    #[param(pattern = "^-?(occurred_at|due_at)$")]
    pub sort: Option<String>,
    pub kind: Option<ActivityKind>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<String>,
    /// Activities about this contact (and about `company_id`, when both are given).
    pub contact_id: Option<String>,
    /// Activities about this company.
    pub company_id: Option<String>,
}

impl ActivitiesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
