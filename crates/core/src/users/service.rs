//! User use cases: each one transaction, with its audit row and event.

use super::dto::{MeOut, OrganizationOut, PasswordChange, UserCreated, UserIn, UserOut, UserPatch, UsersQuery};
use super::model::{self, Filters, NewUser, UserChangeset};
use crate::auth::secrets::{hash_password, new_token};
use crate::auth::{Action, Actor, Resource, Role};
use crate::change::{self, Change};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{Page, Patch, page};
use crate::scope::Scope;
use crate::state::AppState;
use crate::write::{Edit, Versioned};

pub const STATUSES: [&str; 3] = ["active", "invited", "deactivated"];
pub const INVITATION_PREFIX: &str = "crm_inv_";

pub async fn create(state: &AppState, actor: &Actor, input: UserIn) -> ApiResult<UserCreated> {
    actor.require(Resource::USERS, Action::Write)?;
    if !actor.role.can_grant(input.role) {
        return Err(ApiError::forbidden(format!(
            "A {} may not create a user with role {}.",
            actor.role.as_str(),
            input.role.as_str()
        )));
    }
    let password_hash = match input.password.clone() {
        Some(password) => {
            Some(actix_web::web::block(move || hash_password(&password)).await.map_err(ApiError::internal)??)
        }
        None => None,
    };
    let invitation_token = password_hash.is_none().then(|| new_token(INVITATION_PREFIX));
    let invitation_hash = invitation_token.as_ref().map(|t| state.keys.hash_token(t));
    let actor = actor.clone();
    let user = state
        .db
        .write(move |conn| {
            let email = input.email.trim().to_lowercase();
            if let Some(existing) = model::find_by_email(conn, &actor.scope(), &email)? {
                return Err(ApiError::conflict(
                    "email_taken",
                    format!("User {} already has this e-mail.", existing.id),
                ));
            }
            let id = crate::id::new_id(model::ID_PREFIX);
            let now = crate::time::now();
            model::insert(
                conn,
                &NewUser {
                    id: &id,
                    org_id: &actor.org_id,
                    email: &email,
                    name: input.name.trim(),
                    role: input.role.as_str(),
                    status: if password_hash.is_some() { "active" } else { "invited" },
                    password_hash: password_hash.as_deref(),
                    invitation_hash: invitation_hash.as_deref(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            let user = UserOut::from(
                model::find(conn, &actor.scope(), &id)?.ok_or_else(|| ApiError::internal("user vanished"))?,
            );
            let after = serde_json::to_value(&user)?;
            change::record(
                conn,
                &actor,
                Change { resource: "user", id: &id, action: "created", before: None, after: Some(&after) },
            )?;
            Ok(user)
        })
        .await?;
    Ok(UserCreated { user, invitation_token })
}

pub async fn list(state: &AppState, actor: &Actor, query: UsersQuery) -> ApiResult<Page<UserOut>> {
    actor.require(Resource::USERS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    if let Some(status) = &query.status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::bad_request("invalid_query", "status must be active, invited or deactivated."));
    }
    let filters = Filters {
        role: query.role.map(|r| r.as_str().to_string()),
        status: query.status,
        email: query.email.map(|e| e.trim().to_lowercase()),
    };
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &filters, &for_query)).await?;
    Ok(page(rows, &plan, |u| model::SORTS.position(&plan, u), UserOut::from))
}

/// Users as the write runner takes them.
pub(crate) const USERS: Versioned<UserOut> = Versioned {
    table: "users",
    org_column: "org_id",
    resource: "user",
    load,
    load_locked: None,
    version: |u| u.version,
};

fn load(conn: &mut crate::db::DbConnection, scope: &Scope, id: &str) -> ApiResult<UserOut> {
    model::find(conn, scope, id)?.map(UserOut::from).ok_or_else(|| ApiError::not_found("user"))
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<UserOut> {
    actor.require(Resource::USERS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: UserPatch,
    if_match: Option<i64>,
) -> ApiResult<UserOut> {
    actor.require(Resource::USERS, Action::Write)?;
    let mut errors = Vec::new();
    let mut changes = UserChangeset::default();
    match patch.name {
        Patch::Absent => {}
        Patch::Value(name) if !name.trim().is_empty() && name.chars().count() <= 200 => {
            changes.name = Some(name.trim().to_string())
        }
        _ => errors.push(FieldError::new("/name", "length", "must be 1 to 200 characters")),
    }
    match patch.role {
        Patch::Absent => {}
        Patch::Value(role) if actor.role.can_grant(role) => changes.role = Some(role.as_str().to_string()),
        Patch::Value(role) => {
            return Err(ApiError::forbidden(format!(
                "A {} may not grant role {}.",
                actor.role.as_str(),
                role.as_str()
            )));
        }
        Patch::Null => errors.push(FieldError::new("/role", "required", "a user must have a role")),
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let demotes = changes.role.as_deref().is_some_and(|r| r != "admin");
    let user = apply(state, actor, id, changes, if_match, demotes).await?;
    state.credentials.forget_user(&user.id);
    Ok(user)
}

/// Deactivates (signs out everywhere, stops the user's API keys) or reactivates a user.
pub async fn set_active(
    state: &AppState,
    actor: &Actor,
    id: String,
    active: bool,
    if_match: Option<i64>,
) -> ApiResult<UserOut> {
    actor.require(Resource::USERS, Action::Write)?;
    let changes =
        UserChangeset { status: Some(if active { "active" } else { "deactivated" }.to_string()), ..Default::default() };
    let user = apply(state, actor, id, changes, if_match, !active).await?;
    state.credentials.forget_user(&user.id);
    Ok(user)
}

/// One update: checks the version, keeps at least one active admin, records the change.
async fn apply(
    state: &AppState,
    actor: &Actor,
    id: String,
    changes: UserChangeset,
    if_match: Option<i64>,
    removes_admin: bool,
) -> ApiResult<UserOut> {
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            if removes_admin {
                crate::organizations::lock(conn, &actor.scope())?;
            }
            let action = match changes.status.as_deref() {
                Some("deactivated") => "deactivated",
                Some("active") => "reactivated",
                _ => "updated",
            };
            USERS.update(conn, &actor, &id, if_match, action, |conn, before| {
                if changes.status.as_deref() == Some("active") && before.status == "invited" {
                    return Err(ApiError::conflict(
                        "invitation_pending",
                        "An invited user becomes active by accepting the invitation.",
                    ));
                }
                if removes_admin
                    && before.role == Role::Admin
                    && before.status == "active"
                    && model::count_active_admins(conn, &actor.scope())? <= 1
                {
                    return Err(ApiError::conflict(
                        "last_admin",
                        "The organization must keep at least one active admin.",
                    ));
                }
                if changes.status.as_deref() == Some("deactivated") {
                    crate::sessions::model::revoke_user(conn, &actor.org_id, &id)?;
                }
                model::update(conn, &actor.scope(), &id, &changes)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

pub async fn me(state: &AppState, actor: &Actor) -> ApiResult<MeOut> {
    actor.require(Resource::ME, Action::Read)?;
    let (scope, user_id) = (actor.scope(), actor.user_id.clone());
    let (user, org_name) = state
        .db
        .read(move |conn| {
            model::find_with_organization(conn, &scope, &user_id)?
                .ok_or_else(|| ApiError::unauthorized("The user behind these credentials no longer exists."))
        })
        .await?;
    Ok(MeOut {
        organization: OrganizationOut { id: user.org_id.clone(), name: org_name },
        user: UserOut::from(user),
        principal_type: actor.actor_type().to_string(),
        principal_id: actor.principal_id().to_string(),
        role: actor.role,
        scopes: actor.scopes.clone(),
    })
}

/// Sets the caller's password (the first one, as for the admin `crm init` creates, or a new one)
/// and signs them out of every other session.
pub async fn change_password(state: &AppState, actor: &Actor, input: PasswordChange) -> ApiResult<()> {
    actor.require(Resource::ME, Action::Write)?;
    if actor
        .scopes
        .as_deref()
        .is_some_and(|s| !crate::auth::permissions::scopes_allow(s, Resource::USERS, Action::Write))
    {
        return Err(ApiError::forbidden("Setting a password with an API key needs the platform:write scope."));
    }
    let (scope, user_id) = (actor.scope(), actor.user_id.clone());
    let user = state
        .db
        .read(move |conn| model::find(conn, &scope, &user_id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("The user behind these credentials no longer exists."))?;
    let (current_hash, current, new) = (user.password_hash.clone(), input.current_password, input.new_password);
    let new_hash = actix_web::web::block(move || {
        if let Some(hash) = current_hash {
            let given = current.ok_or_else(|| {
                ApiError::invalid_field("/current_password", "required", "give your current password")
            })?;
            if !crate::auth::secrets::verify_password(&given, &hash) {
                return Err(ApiError::invalid_field(
                    "/current_password",
                    "incorrect",
                    "this is not your current password",
                ));
            }
        }
        hash_password(&new)
    })
    .await
    .map_err(ApiError::internal)??;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            USERS.update(conn, &actor, &actor.user_id, None, "password_changed", |conn, _| {
                let changes = UserChangeset { password_hash: Some(Some(new_hash)), ..Default::default() };
                model::update(conn, &actor.scope(), &actor.user_id, &changes)?;
                crate::sessions::model::revoke_user(conn, &actor.org_id, &actor.user_id)?;
                Ok(Edit::Changed)
            })?;
            Ok(())
        })
        .await
}
