//! Suppression use cases, and the checks other modules and crates call inside their own
//! transactions.

use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, page, trimmed};
use crm_core::state::AppState;

use super::dto::{SuppressionIn, SuppressionOut, SuppressionReason, SuppressionsQuery};
use super::model::{self, Filters, RECORD_TYPE};
use crate::normalize::Email;
use crate::permissions;
use crm_core::scope::Scope;

/// Whether marketing must not write to `email` in this organization: it is on the suppression
/// list, or it belonged to a contact who was erased. Cheap: two primary-key lookups.
pub fn is_suppressed(conn: &mut DbConnection, keys: &Keys, scope: &Scope, email: &str) -> ApiResult<bool> {
    let email = email.trim().to_lowercase();
    if model::find_by_email(conn, scope, &email)?.is_some() {
        return Ok(true);
    }
    crate::privacy::model::is_erased(conn, keys, scope, &email)
}

/// Adds `email` (lower-cased) to the list unless it is there already; records the change.
pub fn suppress_in(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    reason: SuppressionReason,
    source: Option<&str>,
) -> ApiResult<Option<SuppressionOut>> {
    if model::find_by_email(conn, &actor.scope(), email)?.is_some() {
        return Ok(None);
    }
    let id = crm_core::id::new_id("sup");
    model::insert(conn, &actor.scope(), &id, email, reason.as_str(), source)?;
    let created = load(conn, &actor.scope(), &id)?;
    let after = serde_json::to_value(&created)?;
    change::record(
        conn,
        actor,
        Change { resource: RECORD_TYPE, id: &id, action: "created", before: None, after: Some(&after) },
    )?;
    Ok(Some(created))
}

/// Removes the entry of `email` if it is there for `reason`; records the change.
pub fn lift_in(conn: &mut DbConnection, actor: &Actor, email: &str, reason: SuppressionReason) -> ApiResult<()> {
    if let Some(entry) = model::find_by_email(conn, &actor.scope(), email)?
        && entry.reason == reason.as_str()
    {
        remove_in(conn, actor, SuppressionOut::from(entry))?;
    }
    Ok(())
}

fn remove_in(conn: &mut DbConnection, actor: &Actor, entry: SuppressionOut) -> ApiResult<()> {
    model::delete(conn, &actor.scope(), &entry.id)?;
    let before = serde_json::to_value(&entry)?;
    change::record(
        conn,
        actor,
        Change { resource: RECORD_TYPE, id: &entry.id, action: "deleted", before: Some(&before), after: None },
    )
}

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<SuppressionOut> {
    model::find(conn, scope, id)?.map(SuppressionOut::from).ok_or_else(|| ApiError::not_found("e-mail suppression"))
}

pub async fn create(state: &AppState, actor: &Actor, input: SuppressionIn) -> ApiResult<SuppressionOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let email = Email::parse(&input.email)
        .map_err(|detail| ApiError::invalid_field("/email", "invalid_email", detail))?
        .into_string();
    let source = trimmed(input.source);
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            if let Some(holder) = model::find_by_email(conn, &actor.scope(), &email)? {
                return Err(ApiError::conflict(
                    "already_suppressed",
                    format!("{email} is already suppressed ({}, {}).", holder.reason, holder.id),
                ));
            }
            suppress_in(conn, &actor, &email, input.reason, source.as_deref())?
                .ok_or_else(|| ApiError::internal("suppression vanished"))
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<SuppressionOut> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: SuppressionsQuery) -> ApiResult<Page<SuppressionOut>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters {
        reason: query.reason.map(|r| r.as_str().to_string()),
        email: query.email.map(|e| e.trim().to_lowercase()),
    };
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list(conn, &scope, &filters, &for_query)).await?;
    Ok(page(rows, &plan, |s| model::SORTS.position(&plan, s), SuppressionOut::from))
}

/// Takes an address off the list: marketing may write to it again.
pub async fn delete(state: &AppState, actor: &Actor, id: String) -> ApiResult<()> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let entry = load(conn, &actor.scope(), &id)?;
            remove_in(conn, &actor, entry)
        })
        .await
}
