//! Teams as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Team;
use crate::http::{ListQuery, Patch};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "team_01jbz3m3x7f6ks6q0vd1tq2n5c", "name": "EMEA sales", "description": "Accounts in Europe and Africa",
    "member_ids": ["user_01jbz3m3x7f6ks6q0vd1tq2n5b"],
    "created_at": "2026-11-28T09:12:44Z", "updated_at": "2026-11-28T09:12:44Z", "version": 1
}))]
pub struct TeamOut {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Its users, by id, in id order. A user may be in several teams.
    pub member_ids: Vec<String>,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crate::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl TeamOut {
    pub fn from_parts(t: Team, member_ids: Vec<String>) -> Self {
        TeamOut {
            id: t.id,
            name: t.name,
            description: t.description,
            member_ids,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// A new team.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "EMEA sales", "description": "Accounts in Europe and Africa", "member_ids": ["user_01jbz3m3x7f6ks6q0vd1tq2n5b"]}))]
pub struct TeamIn {
    /// Unique in the organization.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// Users of the organization, by id. Default: none.
    #[validate(length(max = 1000, message = "at most 1000 members"))]
    #[schema(max_items = 1000)]
    pub member_ids: Option<Vec<String>>,
}

/// Changes to a team (JSON merge patch); `member_ids` replaces the members.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"member_ids": ["user_01jbz3m3x7f6ks6q0vd1tq2n5b", "user_01jbz3m3x7f6ks6q0vd1tq2n5d"]}))]
pub struct TeamPatch {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>, max_items = 1000)]
    pub member_ids: Patch<Vec<String>>,
}

/// Filters and paging for `GET /v1/teams`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TeamsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` or `name`, `-` for descending. Default `created_at`.
    #[param(pattern = "^-?(created_at|name)$")]
    pub sort: Option<String>,
    /// Only the teams this user is in.
    pub member_id: Option<String>,
}

impl TeamsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
