//! The caller's organization: read by everyone, changed by admins.

use diesel::prelude::*;

use super::dto::{OrganizationOut, OrganizationPatch};
use crate::auth::{Action, Actor, Resource};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::http::Patch;
use crate::schema::organizations;
use crate::scope::Scope;
use crate::state::AppState;
use crate::write::{Edit, Versioned};

type Row = (String, String, String, chrono::NaiveDateTime, chrono::NaiveDateTime, i64);

/// The organization as the write runner takes it: its own id is its organization.
pub(crate) const ORGANIZATIONS: Versioned<OrganizationOut> = Versioned {
    table: "organizations",
    org_column: "id",
    resource: "organization",
    load: |conn, scope, _| load(conn, scope),
    load_locked: None,
    version: |o| o.version,
};

fn load(conn: &mut DbConnection, scope: &Scope) -> ApiResult<OrganizationOut> {
    let org_id = scope.org_id();
    let (id, name, phone_region, created_at, updated_at, version): Row = organizations::table
        .find(org_id)
        .select((
            organizations::id,
            organizations::name,
            organizations::phone_region,
            organizations::created_at,
            organizations::updated_at,
            organizations::version,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    Ok(OrganizationOut { id, name, phone_region, created_at, updated_at, version })
}

pub async fn get(state: &AppState, actor: &Actor) -> ApiResult<OrganizationOut> {
    actor.require(Resource::ORGANIZATION, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope)).await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    patch: OrganizationPatch,
    if_match: Option<i64>,
) -> ApiResult<OrganizationOut> {
    actor.require(Resource::ORGANIZATION, Action::Write)?;
    let name = match patch.name {
        Patch::Null => return Err(ApiError::invalid_field("/name", "required", "an organization needs a name")),
        Patch::Value(name) if name.trim().is_empty() || name.trim().chars().count() > 200 => {
            return Err(ApiError::invalid_field("/name", "length", "1 to 200 characters"));
        }
        Patch::Value(name) => Some(name.trim().to_string()),
        Patch::Absent => None,
    };
    let region = match patch.phone_region {
        Patch::Null => {
            return Err(ApiError::invalid_field("/phone_region", "required", "give a region such as US or GB"));
        }
        Patch::Value(region) => {
            let region = region.trim().to_uppercase();
            if region.len() != 2 || region.parse::<phonenumber::country::Id>().is_err() {
                return Err(ApiError::invalid_field(
                    "/phone_region",
                    "invalid_region",
                    "must be an ISO 3166-1 alpha-2 code with a phone numbering plan, such as US or GB",
                ));
            }
            Some(region)
        }
        Patch::Absent => None,
    };
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let org_id = actor.org_id.clone();
            ORGANIZATIONS.update(conn, &actor, &org_id, if_match, "updated", |conn, before| {
                let (name, region) =
                    (name.unwrap_or(before.name.clone()), region.unwrap_or(before.phone_region.clone()));
                if name == before.name && region == before.phone_region {
                    return Ok(Edit::Unchanged);
                }
                diesel::update(organizations::table.find(&before.id))
                    .set((organizations::name.eq(&name), organizations::phone_region.eq(&region)))
                    .execute(conn)?;
                Ok(Edit::Changed)
            })
        })
        .await
}
