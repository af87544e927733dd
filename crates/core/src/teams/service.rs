//! Team use cases: each one transaction, with its audit row and event.

use super::dto::{TeamIn, TeamOut, TeamPatch, TeamsQuery};
use super::model;
use crate::auth::{Action, Actor, Resource};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{Page, Patch, page, trimmed};
use crate::scope::Scope;
use crate::state::AppState;
use crate::write::{Edit, Versioned};

/// A team checked and in canonical form: name trimmed, members sorted, each once.
#[derive(PartialEq)]
struct Draft {
    name: String,
    description: Option<String>,
    member_ids: Vec<String>,
}

fn draft(name: String, description: Option<String>, member_ids: Vec<String>) -> ApiResult<Draft> {
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_field("/name", "length", "must be 1 to 100 characters"));
    }
    if description.as_ref().is_some_and(|d| d.chars().count() > 1000) {
        return Err(ApiError::invalid_field("/description", "length", "must be at most 1000 characters"));
    }
    if member_ids.len() > 1000 {
        return Err(ApiError::invalid_field("/member_ids", "length", "at most 1000 members"));
    }
    let mut member_ids: Vec<String> = member_ids.into_iter().map(|m| m.trim().to_string()).collect();
    member_ids.sort();
    member_ids.dedup();
    Ok(Draft { name, description: trimmed(description), member_ids })
}

/// 409 when another team has the name; 422 for members who are not users of the organization.
fn check(conn: &mut DbConnection, scope: &Scope, id: &str, draft: &Draft) -> ApiResult<()> {
    if let Some(holder) = model::named(conn, scope, &draft.name, id)? {
        return Err(ApiError::conflict(
            "duplicate_team",
            format!("Team {holder} already has the name {:?}.", draft.name),
        ));
    }
    let known = crate::users::model::existing(conn, scope, &draft.member_ids)?;
    let errors: Vec<FieldError> = draft
        .member_ids
        .iter()
        .enumerate()
        .filter(|(_, user_id)| !known.contains(user_id))
        .map(|(i, user_id)| {
            FieldError::new(
                format!("/member_ids/{i}"),
                "unknown_user",
                format!("{user_id} is not a user of the organization"),
            )
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

fn store(conn: &mut DbConnection, scope: &Scope, id: &str, draft: &Draft, exists: bool) -> ApiResult<()> {
    check(conn, scope, id, draft)?;
    if exists {
        model::update(conn, scope, id, &draft.name, draft.description.as_deref())?;
    } else {
        model::insert(conn, scope, id, &draft.name, draft.description.as_deref())?;
    }
    model::set_members(conn, scope, id, &draft.member_ids)
}

/// Teams as the write runner takes them.
pub(crate) const TEAMS: Versioned<TeamOut> = Versioned {
    table: "teams",
    org_column: "org_id",
    resource: "team",
    load,
    load_locked: None,
    version: |t| t.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<TeamOut> {
    let team = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("team"))?;
    let members = model::members_of(conn, scope, &[id])?.remove(id).unwrap_or_default();
    Ok(TeamOut::from_parts(team, members))
}

pub async fn create(state: &AppState, actor: &Actor, input: TeamIn) -> ApiResult<TeamOut> {
    actor.require(Resource::TEAMS, Action::Write)?;
    let draft = draft(input.name, input.description, input.member_ids.unwrap_or_default())?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let id = crate::id::new_id(model::ID_PREFIX);
            store(conn, &actor.scope(), &id, &draft, false)?;
            TEAMS.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<TeamOut> {
    actor.require(Resource::TEAMS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: TeamsQuery) -> ApiResult<Page<TeamOut>> {
    actor.require(Resource::TEAMS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let (rows, members) = state
        .db
        .read(move |conn| {
            let rows = model::list(conn, &scope, query.member_id.as_deref(), &for_query)?;
            let ids: Vec<&str> = rows.iter().map(|t| t.id.as_str()).collect();
            let members = model::members_of(conn, &scope, &ids)?;
            Ok((rows, members))
        })
        .await?;
    Ok(page(
        rows,
        &plan,
        |t| model::SORTS.position(&plan, t),
        |t| {
            let ids = members.get(&t.id).cloned().unwrap_or_default();
            TeamOut::from_parts(t, ids)
        },
    ))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: TeamPatch,
    if_match: Option<i64>,
) -> ApiResult<TeamOut> {
    actor.require(Resource::TEAMS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TEAMS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let name = match patch.name {
                    Patch::Absent => before.name.clone(),
                    Patch::Value(name) => name,
                    Patch::Null => return Err(ApiError::invalid_field("/name", "required", "a team needs a name")),
                };
                let mut description = before.description.clone();
                patch.description.apply_to(&mut description);
                let mut member_ids = Some(before.member_ids.clone());
                patch.member_ids.apply_to(&mut member_ids);
                let draft = draft(name, description, member_ids.unwrap_or_default())?;
                let current = Draft {
                    name: before.name.clone(),
                    description: before.description.clone(),
                    member_ids: before.member_ids.clone(),
                };
                if draft == current {
                    return Ok(Edit::Unchanged);
                }
                store(conn, &actor.scope(), &id, &draft, true)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Deletes a team; its members stay users, and the records they own stay theirs.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(Resource::TEAMS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TEAMS.delete(conn, &actor, &id, if_match, |conn, _| model::delete(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}
