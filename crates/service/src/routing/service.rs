//! Ticket routing: read and set per team (`ticket_routing.updated`), and the pick a new
//! ticket for the team gets.

use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::scope::Scope;
use crm_core::state::AppState;

use super::dto::{Method, RoutingIn, RoutingOut};
use super::model::{self, RECORD_TYPE};
use crate::permissions;

/// The advisory lock space of teams' turns (`crm_core::sql::hold_key`).
const TURN_LOCKS: i32 = 7263021;

fn load(conn: &mut DbConnection, scope: &Scope, team_id: &str) -> ApiResult<RoutingOut> {
    crm_core::teams::model::find(conn, scope, team_id)?.ok_or_else(|| ApiError::not_found("team"))?;
    Ok(match model::find(conn, scope, team_id)? {
        Some(r) => RoutingOut {
            team_id: r.team_id,
            method: Method::parse(&r.method),
            last_assignee_id: r.last_user_id,
            updated_at: Some(r.updated_at),
            version: r.version,
        },
        None => RoutingOut {
            team_id: team_id.to_string(),
            method: Method::Manual,
            last_assignee_id: None,
            updated_at: None,
            version: 0,
        },
    })
}

pub async fn get(state: &AppState, actor: &Actor, team_id: String) -> ApiResult<RoutingOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &team_id)).await
}

/// Sets the team's method (`ticket_routing.updated`); setting the one it has changes nothing.
pub async fn put(state: &AppState, actor: &Actor, team_id: String, input: RoutingIn) -> ApiResult<RoutingOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            crm_core::sql::hold_key(conn, TURN_LOCKS, &format!("{}/{team_id}", scope.org_id()))?;
            let before = load(conn, &scope, &team_id)?;
            if before.method == input.method && before.version > 0 {
                return Ok(before);
            }
            model::set(conn, &scope, &team_id, input.method.as_str())?;
            let after = load(conn, &scope, &team_id)?;
            let (b, a) = (serde_json::to_value(&before)?, serde_json::to_value(&after)?);
            let change =
                Change { resource: RECORD_TYPE, id: &team_id, action: "updated", before: Some(&b), after: Some(&a) };
            change::record(conn, &actor, change)?;
            Ok(after)
        })
        .await
}

/// The member a new ticket for the team goes to, by the team's method (`None`: manual, or no
/// active member). Concurrent picks for a team take turns.
pub(crate) fn pick(conn: &mut DbConnection, scope: &Scope, team_id: &str) -> ApiResult<Option<String>> {
    let Some(routing) = model::find(conn, scope, team_id)? else { return Ok(None) };
    let method = Method::parse(&routing.method);
    if method == Method::Manual {
        return Ok(None);
    }
    crm_core::sql::hold_key(conn, TURN_LOCKS, &format!("{}/{team_id}", scope.org_id()))?;
    let members = crm_core::teams::model::active_members(conn, scope, team_id)?;
    let ids: Vec<&str> = members.iter().map(String::as_str).collect();
    Ok(match method {
        Method::LeastOpen => crm_core::teams::model::least_loaded(&members, &model::open_tickets(conn, scope, &ids)?),
        _ => {
            // Read after the lock: the turn the last pick left.
            let last = model::find(conn, scope, team_id)?.and_then(|r| r.last_user_id);
            let next = crm_core::teams::model::next_in_turn(&members, last.as_deref());
            if let Some(user) = &next {
                model::set_last_user(conn, scope, team_id, user)?;
            }
            next
        }
    })
}
