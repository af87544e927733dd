//! Endpoint use cases: each one transaction, with its audit row and event
//! (`webhook_endpoint.created`, `.updated`, `.secret_rotated`, `.deleted`, `.disabled`).

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page};
use crm_core::registry::EventType;
use crm_core::scope::Scope;
use crm_core::signature::SigningKey;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{EndpointIn, EndpointOut, EndpointPatch, EndpointWithSecret, EndpointsQuery, RotateIn};
use super::model::{self, Fields, RECORD_TYPE};
use crate::permissions::WEBHOOKS;
use crate::settings::WebhookSettings;

/// Endpoints as the write runner takes them.
pub const ENDPOINTS: Versioned<EndpointOut> = Versioned {
    table: "webhook_endpoints",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |e| e.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<EndpointOut> {
    model::find(conn, scope, id)?.map(EndpointOut::from).ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

/// What an endpoint's fields are checked against.
#[derive(Clone)]
struct Rules {
    allow_private: bool,
    catalog: Vec<EventType>,
}

impl Rules {
    fn of(state: &AppState) -> ApiResult<Rules> {
        let settings = WebhookSettings::of(&state.config).map_err(ApiError::internal)?;
        Ok(Rules { allow_private: settings.allow_private, catalog: crm_core::registry::event_types(state.domains) })
    }
}

/// Checks and normalizes what the API was given.
fn fields(rules: &Rules, input: EndpointIn, disabled_reason: Option<String>) -> ApiResult<Fields> {
    let url = input.url.trim().to_string();
    if let Some(why) = crate::dispatch::address::refusal(&url, rules.allow_private) {
        return Err(ApiError::invalid_field("/url", "invalid_url", format!("The webhook URL {why}.")));
    }
    let catalog = &rules.catalog;
    let mut types: Vec<String> = Vec::new();
    for (i, given) in input.event_types.unwrap_or_default().into_iter().enumerate() {
        let given = given.trim().to_string();
        let pattern = crm_core::events::model::TypePattern::of(&given);
        let known = catalog.iter().any(|t| pattern.matches(t.name));
        if !known {
            return Err(ApiError::invalid_field(
                &format!("/event_types/{i}"),
                "unknown_event_type",
                format!(
                    "{given:?} is neither an event type of GET /v1/event-types nor a group of them like contact.*."
                ),
            ));
        }
        if !types.contains(&given) {
            types.push(given);
        }
    }
    let enabled = input.enabled.unwrap_or(true);
    Ok(Fields {
        url,
        description: input.description.map(|d| d.trim().to_string()).unwrap_or_default(),
        event_types: serde_json::to_string(&types)?,
        enabled,
        disabled_reason: if enabled { None } else { disabled_reason.or(Some("manual".into())) },
        rate_limit_per_second: input.rate_limit_per_second,
    })
}

pub async fn create(state: &AppState, actor: &Actor, input: EndpointIn) -> ApiResult<EndpointWithSecret> {
    actor.require(WEBHOOKS, Action::Write)?;
    let fields = fields(&Rules::of(state)?, input, None)?;
    let actor = actor.clone();
    let secret = SigningKey::generate();
    let stored = secret.clone();
    let endpoint = state
        .db
        .write(move |conn| {
            let id = crm_core::id::new_id(model::ID_PREFIX);
            let scope = actor.scope();
            // Only what happens from now on: the organization's events so far are not delivered.
            let now_at = crm_core::events::model::last_seq(conn, scope.org_id())?;
            model::insert(conn, &scope, &id, &fields, &stored, now_at)?;
            ENDPOINTS.created(conn, &actor, &id)
        })
        .await?;
    Ok(EndpointWithSecret { endpoint, secret })
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<EndpointOut> {
    actor.require(WEBHOOKS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: EndpointsQuery) -> ApiResult<Page<EndpointOut>> {
    actor.require(WEBHOOKS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query, enabled) = (actor.scope(), plan.clone(), query.enabled);
    let rows = state.db.read(move |conn| model::list(conn, &scope, enabled, &for_query)).await?;
    Ok(page(rows, &plan, |e| model::SORTS.position(&plan, e), EndpointOut::from))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: EndpointPatch,
    if_match: Option<i64>,
) -> ApiResult<EndpointOut> {
    actor.require(WEBHOOKS, Action::Write)?;
    let actor = actor.clone();
    let rules = Rules::of(state)?;
    state
        .db
        .write(move |conn| {
            ENDPOINTS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = EndpointIn {
                    url: before.url.clone(),
                    description: Some(before.description.clone()),
                    event_types: Some(before.event_types.clone()),
                    enabled: Some(before.enabled),
                    rate_limit_per_second: before.rate_limit_per_second,
                };
                match patch.url {
                    Patch::Absent => {}
                    Patch::Value(url) => draft.url = url,
                    Patch::Null => return Err(ApiError::invalid_field("/url", "required", "an endpoint needs a URL")),
                }
                patch.description.apply_to(&mut draft.description);
                patch.event_types.apply_to(&mut draft.event_types);
                match patch.enabled {
                    Patch::Absent => {}
                    Patch::Value(enabled) => draft.enabled = Some(enabled),
                    Patch::Null => {
                        return Err(ApiError::invalid_field("/enabled", "required", "enabled is true or false"));
                    }
                }
                patch.rate_limit_per_second.apply_to(&mut draft.rate_limit_per_second);
                validator::Validate::validate(&draft)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let fields = fields(&rules, draft, before.disabled_reason.clone())?;
                let current = Fields {
                    url: before.url.clone(),
                    description: before.description.clone(),
                    event_types: serde_json::to_string(&before.event_types)?,
                    enabled: before.enabled,
                    disabled_reason: before.disabled_reason.clone(),
                    rate_limit_per_second: before.rate_limit_per_second,
                };
                if current == fields {
                    return Ok(Edit::Unchanged);
                }
                let scope = actor.scope();
                // Enabled again: from what happens now on (and what was pending).
                let resume = (fields.enabled && !before.enabled)
                    .then(|| crm_core::events::model::last_seq(conn, scope.org_id()))
                    .transpose()?;
                model::update(conn, &scope, &id, &fields, resume)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Deletes an endpoint with its deliveries (their event stays in the feed).
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(WEBHOOKS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            ENDPOINTS.delete(conn, &actor, &id, if_match, |conn, _| model::delete(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}

/// A new secret; the old one keeps signing (both signatures are sent) for the overlap.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    id: String,
    input: RotateIn,
) -> ApiResult<EndpointWithSecret> {
    actor.require(WEBHOOKS, Action::Write)?;
    let actor = actor.clone();
    let secret = SigningKey::generate();
    let stored = secret.clone();
    let overlap = chrono::Duration::seconds(input.overlap_seconds.unwrap_or(86_400));
    let endpoint = state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            ENDPOINTS.update(conn, &actor, &id, None, "secret_rotated", |conn, _| {
                model::rotate(conn, &scope, &id, &stored, crm_core::time::now() + overlap)?;
                Ok(Edit::Changed)
            })
        })
        .await?;
    Ok(EndpointWithSecret { endpoint, secret })
}

/// Sends a `webhook.test` event to this endpoint alone.
pub async fn send_test(state: &AppState, actor: &Actor, id: String) -> ApiResult<crate::delivery::dto::DeliveryOut> {
    actor.require(WEBHOOKS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let endpoint = load(conn, &scope, &id)?;
            if !endpoint.enabled {
                return Err(ApiError::conflict("endpoint_disabled", "The endpoint is disabled: enable it first."));
            }
            let object = serde_json::to_value(&endpoint)?;
            let event_id = crm_core::events::model::emit(conn, &actor, crate::events::TEST, object, None)?;
            let delivery = crate::delivery::model::NewDelivery::new(
                scope.org_id(),
                &id,
                &event_id,
                0,
                crate::events::TEST,
                &event_id,
            );
            let delivery_id = delivery.id.clone();
            crate::delivery::model::insert_many(conn, &[delivery])?;
            crate::delivery::service::load(conn, &scope, &id, &delivery_id)
        })
        .await
}

/// Stops delivery to an endpoint on the dispatcher's behalf (a 410, or failing for too long),
/// with its `webhook_endpoint.disabled` event.
pub fn disable(conn: &mut DbConnection, org_id: &str, id: &str, reason: &str) -> ApiResult<()> {
    let actor = crm_core::jobs::schedule::system_actor(org_id);
    let scope = actor.scope();
    let Some(current) = model::find(conn, &scope, id)? else { return Ok(()) };
    if !current.enabled {
        return Ok(());
    }
    ENDPOINTS.update(conn, &actor, id, None, "disabled", |conn, _| {
        model::disable(conn, &scope, id, reason)?;
        Ok(Edit::Changed)
    })?;
    log::warn!("webhook endpoint {id} disabled: {reason}");
    Ok(())
}
