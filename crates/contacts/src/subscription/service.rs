//! Subscription-type and contact-subscription use cases: each one transaction, with its audit
//! row and event. A contact's subscription changes are changes of the contact
//! (`contact.subscription_changed`).

use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page, trimmed};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{
    ContactSubscriptionOut, ContactSubscriptions, SubscriptionIn, SubscriptionTypeIn, SubscriptionTypeOut,
    SubscriptionTypePatch, SubscriptionTypesQuery,
};
use super::model::{self, RECORD_TYPE, TypeFields};
use crate::consent::dto::Channel;
use crate::permissions;

fn type_fields(input: SubscriptionTypeIn) -> ApiResult<TypeFields> {
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::invalid_field("/name", "required", "a subscription type needs a name"));
    }
    Ok(TypeFields {
        name,
        description: trimmed(input.description),
        channel: input.channel.unwrap_or(Channel::Email).as_str().to_string(),
    })
}

fn store_type(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &TypeFields, exists: bool) -> ApiResult<()> {
    if let Some(holder) = model::type_named(conn, scope, &fields.name, id)? {
        return Err(ApiError::conflict(
            "duplicate_subscription_type",
            format!("Subscription type {holder} is already named {}.", fields.name),
        ));
    }
    if exists { model::update_type(conn, scope, id, fields) } else { model::insert_type(conn, scope, id, fields) }
}

/// Subscription types as the write runner takes them.
const TYPES: Versioned<SubscriptionTypeOut> = Versioned {
    table: "subscription_types",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load: load_type,
    load_locked: None,
    version: |t| t.version,
};

fn load_type(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<SubscriptionTypeOut> {
    model::find_type(conn, scope, id)?
        .map(SubscriptionTypeOut::from)
        .ok_or_else(|| ApiError::not_found("subscription type"))
}

pub async fn create_type(state: &AppState, actor: &Actor, input: SubscriptionTypeIn) -> ApiResult<SubscriptionTypeOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let fields = type_fields(input)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let id = crm_core::id::new_id(model::ID_PREFIX);
            store_type(conn, &actor.scope(), &id, &fields, false)?;
            TYPES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get_type(state: &AppState, actor: &Actor, id: String) -> ApiResult<SubscriptionTypeOut> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load_type(conn, &scope, &id)).await
}

pub async fn list_types(
    state: &AppState,
    actor: &Actor,
    query: SubscriptionTypesQuery,
) -> ApiResult<Page<SubscriptionTypeOut>> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let channel = query.channel.map(|c| c.as_str());
    let (scope, for_query) = (actor.scope(), plan.clone());
    let rows = state.db.read(move |conn| model::list_types(conn, &scope, channel, &for_query)).await?;
    Ok(page(rows, &plan, |t| model::SORTS.position(&plan, t), SubscriptionTypeOut::from))
}

pub async fn update_type(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: SubscriptionTypePatch,
    if_match: Option<i64>,
) -> ApiResult<SubscriptionTypeOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TYPES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = SubscriptionTypeIn {
                    name: before.name.clone(),
                    description: before.description.clone(),
                    channel: Some(before.channel),
                };
                match patch.name {
                    Patch::Absent => {}
                    Patch::Value(name) => draft.name = name,
                    Patch::Null => {
                        return Err(ApiError::invalid_field("/name", "required", "a subscription type needs a name"));
                    }
                }
                patch.description.apply_to(&mut draft.description);
                if patch.channel == Patch::Null {
                    return Err(ApiError::invalid_field("/channel", "required", "a subscription type has a channel"));
                }
                patch.channel.apply_to(&mut draft.channel);
                validator::Validate::validate(&draft)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let fields = type_fields(draft)?;
                let current = TypeFields {
                    name: before.name.clone(),
                    description: before.description.clone(),
                    channel: before.channel.as_str().to_string(),
                };
                if current == fields {
                    return Ok(Edit::Unchanged);
                }
                store_type(conn, &actor.scope(), &id, &fields, true)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Deletes a type, and every contact's subscription to it.
pub async fn delete_type(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            TYPES.delete(conn, &actor, &id, if_match, |conn, _| model::delete_type(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}

/// The contact's status for every type.
pub fn all_for_contact(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
) -> ApiResult<Vec<ContactSubscriptionOut>> {
    let rows = model::for_contact(conn, scope, contact_id)?;
    Ok(model::all_types(conn, scope)?
        .iter()
        .map(|kind| {
            let row = rows.iter().find(|r| r.subscription_type_id == kind.id);
            ContactSubscriptionOut::from_parts(contact_id, kind, row)
        })
        .collect())
}

pub async fn list_for_contact(state: &AppState, actor: &Actor, contact_id: String) -> ApiResult<ContactSubscriptions> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            crate::consent::service::live_contact(conn, &scope, &contact_id)?;
            Ok(ContactSubscriptions { data: all_for_contact(conn, &scope, &contact_id)? })
        })
        .await
}

/// Subscribes or unsubscribes a contact; the same status and source again changes nothing.
pub async fn set_for_contact(
    state: &AppState,
    actor: &Actor,
    contact_id: String,
    type_id: String,
    input: SubscriptionIn,
) -> ApiResult<ContactSubscriptionOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let source = trimmed(input.source);
    let status = input.status.as_str();
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            // One subscription change per contact at a time: two first answers cannot both insert.
            crate::contact::service::CONTACTS.lock(conn, &scope, &contact_id)?;
            crate::consent::service::live_contact(conn, &actor.scope(), &contact_id)?;
            let kind =
                model::find_type(conn, &scope, &type_id)?.ok_or_else(|| ApiError::not_found("subscription type"))?;
            let row = model::find(conn, &scope, &contact_id, &type_id)?;
            let before = ContactSubscriptionOut::from_parts(&contact_id, &kind, row.as_ref());
            if row.as_ref().is_some_and(|r| r.status == status && r.source == source) {
                return Ok(before);
            }
            model::save(conn, &scope, &contact_id, &type_id, status, source.as_deref(), row.is_some())?;
            let row = model::find(conn, &scope, &contact_id, &type_id)?;
            let after = ContactSubscriptionOut::from_parts(&contact_id, &kind, row.as_ref());
            let (b, a) = (serde_json::to_value(&before)?, serde_json::to_value(&after)?);
            change::record(
                conn,
                &actor,
                Change {
                    resource: "contact",
                    id: &contact_id,
                    action: "subscription_changed",
                    before: Some(&b),
                    after: Some(&a),
                },
            )?;
            Ok(after)
        })
        .await
}
