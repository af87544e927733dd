//! `/v1/organization/record-visibility`: how much of each owned record type each role sees.
//! The rules are enforced by [`crate::scope::Scope`]; admins always see everything.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::{Action, Actor, Resource, Role};
use crate::change::{self, Change};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::registry;
use crate::schema::record_visibility;
use crate::scope::Scope;
use crate::scope::Visibility;
use crate::state::AppState;

/// The roles a visibility rule can name: every role but `admin`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // a name for the contract only; rules carry a Role
pub enum RuleRole {
    Manager,
    Sales,
    Marketing,
    Support,
    ReadOnly,
}

/// A record type that has owners (the contract lists those of the registered domains).
#[derive(ToSchema)]
#[allow(dead_code)] // a name for the contract only
pub struct OwnedType(String);

/// What one role sees of one record type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "sales", "record_type": "contact", "visibility": "team"}))]
pub struct VisibilityRule {
    /// Any role but `admin` (admins see every record).
    #[schema(value_type = RuleRole)]
    pub role: Role,
    /// A record type that has owners: `contact`, `company`, `activity`, and those of other domains.
    #[schema(value_type = OwnedType, example = "contact")]
    pub record_type: String,
    /// `all` the organization's records, its `team`s' (owned by anyone in one of the user's
    /// teams), or its `own`.
    pub visibility: Visibility,
}

/// Every role's visibility of every owned record type.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"rules": [
    {"role": "manager", "record_type": "contact", "visibility": "all"},
    {"role": "sales", "record_type": "contact", "visibility": "team"},
    {"role": "sales", "record_type": "company", "visibility": "own"}
]}))]
pub struct RecordVisibility {
    pub rules: Vec<VisibilityRule>,
}

/// The organization's rules, replacing the current ones: a role and record type not listed
/// sees `all`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [
    {"role": "sales", "record_type": "contact", "visibility": "team"},
    {"role": "sales", "record_type": "company", "visibility": "own"}
]}))]
pub struct RecordVisibilityIn {
    #[validate(length(max = 500, message = "at most 500 rules"))]
    #[schema(max_items = 500)]
    pub rules: Vec<VisibilityRule>,
}

/// The record types with owners, which visibility applies to.
fn owned_types(state: &AppState) -> Vec<&'static str> {
    registry::resources(state.domains).filter(|r| r.owner.is_some()).map(|r| r.record_type).collect()
}

fn load(conn: &mut DbConnection, scope: &Scope, types: &[&'static str]) -> ApiResult<RecordVisibility> {
    let org_id = scope.org_id();
    let stored: Vec<(String, String, String)> = record_visibility::table
        .filter(record_visibility::org_id.eq(org_id))
        .select((record_visibility::role, record_visibility::record_type, record_visibility::visibility))
        .load(conn)?;
    let mut rules = Vec::new();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        for record_type in types {
            let visibility = stored
                .iter()
                .find(|(r, t, _)| r == role.as_str() && t == record_type)
                .and_then(|(_, _, v)| Visibility::parse(v))
                .unwrap_or(Visibility::All);
            rules.push(VisibilityRule { role, record_type: record_type.to_string(), visibility });
        }
    }
    Ok(RecordVisibility { rules })
}

pub async fn get(state: &AppState, actor: &Actor) -> ApiResult<RecordVisibility> {
    actor.require(Resource::ORGANIZATION, Action::Read)?;
    let (scope, types) = (actor.scope(), owned_types(state));
    state.db.read(move |conn| load(conn, &scope, &types)).await
}

pub async fn replace(state: &AppState, actor: &Actor, input: RecordVisibilityIn) -> ApiResult<RecordVisibility> {
    actor.require(Resource::ORGANIZATION, Action::Write)?;
    let types = owned_types(state);
    let mut errors = Vec::new();
    for (i, rule) in input.rules.iter().enumerate() {
        if rule.role == Role::Admin {
            errors.push(FieldError::new(format!("/rules/{i}/role"), "admin", "admins see every record"));
        }
        if !types.contains(&rule.record_type.as_str()) {
            errors.push(FieldError::new(
                format!("/rules/{i}/record_type"),
                "unknown_record_type",
                format!("record types with owners: {}", types.join(", ")),
            ));
        }
        if input.rules[..i].iter().any(|r| r.role == rule.role && r.record_type == rule.record_type) {
            errors.push(FieldError::new(format!("/rules/{i}"), "duplicate", "one rule per role and record type"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            // One change of the rules at a time, so the audit trail shows each one's before.
            super::lock(conn, &actor.scope())?;
            let before = load(conn, &actor.scope(), &types)?;
            diesel::delete(record_visibility::table.filter(record_visibility::org_id.eq(&actor.org_id)))
                .execute(conn)?;
            for rule in input.rules.iter().filter(|r| r.visibility != Visibility::All) {
                diesel::insert_into(record_visibility::table)
                    .values((
                        record_visibility::org_id.eq(&actor.org_id),
                        record_visibility::role.eq(rule.role.as_str()),
                        record_visibility::record_type.eq(&rule.record_type),
                        record_visibility::visibility.eq(rule.visibility.as_str()),
                    ))
                    .execute(conn)?;
            }
            let after = load(conn, &actor.scope(), &types)?;
            if after.rules != before.rules {
                let (b, a) = (serde_json::to_value(&before)?, serde_json::to_value(&after)?);
                change::record(
                    conn,
                    &actor,
                    Change {
                        resource: "record_visibility",
                        id: &actor.org_id,
                        action: "updated",
                        before: Some(&b),
                        after: Some(&a),
                    },
                )?;
            }
            Ok(after)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_roles_are_every_role_but_admin() {
        let schema = serde_json::to_value(<RuleRole as utoipa::PartialSchema>::schema()).unwrap();
        let listed: Vec<&str> = schema["enum"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        let expected: Vec<&str> = Role::ALL.iter().filter(|r| **r != Role::Admin).map(|r| r.as_str()).collect();
        assert_eq!(listed, expected);
    }
}
