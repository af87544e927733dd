//! What a caller sees of their organization: a [`Scope`] is built from an authenticated
//! [`Actor`] (a request's or a job's) and is what every query of a tenant table starts from
//! (model functions take a `&Scope`, never an organization id), so tenancy and a record's
//! visibility are decided in one place.
//!
//! Each role sees all of a record type's records, or only those owned by someone in one of
//! its user's teams (`team`), or only its own (`own`), as the organization's
//! `record_visibility` rows say. The rule is read by the query itself (a subquery PostgreSQL
//! and SQLite evaluate once), so it costs no round trip and is never stale. A record out of
//! sight answers 404, like another organization's.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Actor, Principal, Role};
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::record_visibility;
use crate::sql::{Condition, Fragment, Piece};

/// How much of a record type a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every record of the organization.
    All,
    /// Records owned by the user or by anyone in one of the user's teams.
    Team,
    /// Records the user owns.
    Own,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::All => "all",
            Visibility::Team => "team",
            Visibility::Own => "own",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        [Visibility::All, Visibility::Team, Visibility::Own].into_iter().find(|v| v.as_str() == s)
    }
}

/// An organization as one caller sees it.
#[derive(Debug, Clone)]
pub struct Scope {
    org_id: String,
    /// `None` sees every record: admins, and the platform's own work.
    viewer: Option<Viewer>,
}

#[derive(Debug, Clone)]
struct Viewer {
    user_id: String,
    role: Role,
}

impl Scope {
    /// The caller's organization as the caller's role may see it. An API key sees what its role
    /// sees on behalf of the user who created it.
    pub fn of(actor: &Actor) -> Scope {
        let viewer = match actor.principal {
            Principal::System => None,
            _ if actor.role == Role::Admin => None,
            _ => Some(Viewer { user_id: actor.user_id.clone(), role: actor.role }),
        };
        Scope { org_id: actor.org_id.clone(), viewer }
    }

    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The same organization with nothing out of sight: what a write shows back of the record
    /// it was allowed to change (its new owner may put it out of the writer's sight).
    pub fn unrestricted(&self) -> Scope {
        Scope { org_id: self.org_id.clone(), viewer: None }
    }

    /// Whether some records may be out of this caller's sight (the caller is not an admin).
    pub fn is_restricted(&self) -> bool {
        self.viewer.is_some()
    }

    /// The condition a record of `record_type` whose owner is the SQL expression `owner` (a
    /// constant, never input) must meet to be seen; `None` when everything is in sight.
    pub fn sight(&self, record_type: &'static str, owner: &'static str) -> Option<Vec<Piece>> {
        let viewer = self.viewer.as_ref()?;
        let text = |s: &str| Piece::Text(s.to_string());
        let sql = |s: &str| Piece::Sql(s.to_string());
        let rule = |extra: &str| {
            vec![
                sql("SELECT 1 FROM record_visibility rv WHERE rv.org_id = "),
                text(&self.org_id),
                sql(" AND rv.role = "),
                text(viewer.role.as_str()),
                sql(" AND rv.record_type = "),
                text(record_type),
                sql(extra),
            ]
        };
        let mut pieces = vec![sql("(NOT EXISTS (")];
        pieces.extend(rule(")"));
        pieces.extend([sql(&format!(" OR {owner} = ")), text(&viewer.user_id)]);
        pieces.push(sql(&format!(
            " OR ({owner} IN (SELECT mate.user_id FROM team_members me JOIN team_members mate \
             ON mate.org_id = me.org_id AND mate.team_id = me.team_id WHERE me.org_id = "
        )));
        pieces.extend([text(&self.org_id), sql(" AND me.user_id = "), text(&viewer.user_id), sql(") AND EXISTS (")]);
        pieces.extend(rule(" AND rv.visibility = 'team')))"));
        Some(pieces)
    }

    /// How much of `record_type` this caller sees.
    pub fn visibility(&self, conn: &mut DbConnection, record_type: &str) -> ApiResult<Visibility> {
        let Some(viewer) = &self.viewer else {
            return Ok(Visibility::All);
        };
        let rule: Option<String> = record_visibility::table
            .filter(record_visibility::org_id.eq(&self.org_id))
            .filter(record_visibility::role.eq(viewer.role.as_str()))
            .filter(record_visibility::record_type.eq(record_type))
            .select(record_visibility::visibility)
            .first(conn)
            .optional()?;
        Ok(rule.as_deref().and_then(Visibility::parse).unwrap_or(Visibility::All))
    }

    /// The owner of a record this caller creates without naming one: themselves when they see
    /// less than all of its type, so what they create does not vanish from their sight.
    pub fn default_owner(&self, conn: &mut DbConnection, record_type: &str) -> ApiResult<Option<String>> {
        match &self.viewer {
            Some(viewer) if self.visibility(conn, record_type)? != Visibility::All => Ok(Some(viewer.user_id.clone())),
            _ => Ok(None),
        }
    }

    /// [`Scope::sight`] as a condition for a diesel query.
    pub fn visible(&self, record_type: &'static str, owner: &'static str) -> Option<Condition> {
        self.sight(record_type, owner).map(Fragment::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            org_id: "org_1".into(),
            user_id: "user_1".into(),
            principal: Principal::User("user_1".into()),
            role,
            scopes: None,
            request_id: String::new(),
        }
    }

    #[test]
    fn admins_and_the_system_see_everything() {
        assert!(Scope::of(&actor(Role::Admin)).visible("contact", "contacts.owner_id").is_none());
        let system = Actor { principal: Principal::System, ..actor(Role::Sales) };
        assert!(Scope::of(&system).visible("contact", "contacts.owner_id").is_none());
        let sales = Scope::of(&actor(Role::Sales));
        assert!(sales.visible("contact", "contacts.owner_id").is_some());
        assert!(sales.unrestricted().visible("contact", "contacts.owner_id").is_none());
    }

    #[test]
    fn visibility_names_round_trip() {
        for v in [Visibility::All, Visibility::Team, Visibility::Own] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
        assert_eq!(Visibility::parse("everyone"), None);
    }
}
