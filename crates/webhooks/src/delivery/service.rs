//! Delivery use cases: list with attempts, redeliver one, recover every failure since a time.

use chrono::NaiveDateTime;
use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, page};
use crm_core::scope::Scope;
use crm_core::state::AppState;

use super::dto::{DeliveriesQuery, DeliveryOut, RecoverIn, RecoverOut};
use super::model::{self, Filters};
use crate::permissions::WEBHOOKS;

fn endpoint_exists(conn: &mut DbConnection, scope: &Scope, endpoint_id: &str) -> ApiResult<()> {
    match crate::endpoint::model::find(conn, scope, endpoint_id)? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found("webhook endpoint")),
    }
}

pub fn load(conn: &mut DbConnection, scope: &Scope, endpoint_id: &str, id: &str) -> ApiResult<DeliveryOut> {
    let delivery = model::find(conn, scope, endpoint_id, id)?.ok_or_else(|| ApiError::not_found("delivery"))?;
    let attempts = model::attempts_of(conn, scope.org_id(), std::slice::from_ref(&delivery.id))?;
    Ok(DeliveryOut::of(delivery, attempts))
}

fn time_param(name: &str, value: Option<&str>) -> ApiResult<Option<NaiveDateTime>> {
    value
        .map(|v| {
            crm_core::time::parse(v).ok_or_else(|| {
                ApiError::bad_request(&format!("invalid_{name}"), format!("{name} must be an RFC 3339 time."))
            })
        })
        .transpose()
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    endpoint_id: String,
    query: DeliveriesQuery,
) -> ApiResult<Page<DeliveryOut>> {
    actor.require(WEBHOOKS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters {
        status: query.status.map(|s| s.as_str()),
        event_type: query.event_type.clone(),
        created_after: time_param("created_after", query.created_after.as_deref())?,
        created_before: time_param("created_before", query.created_before.as_deref())?,
    };
    let (scope, for_query) = (actor.scope(), plan.clone());
    let (rows, attempts) = state
        .db
        .read(move |conn| {
            endpoint_exists(conn, &scope, &endpoint_id)?;
            let rows = model::list(conn, &scope, &endpoint_id, &filters, &for_query)?;
            let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
            Ok((rows, model::attempts_of(conn, scope.org_id(), &ids)?))
        })
        .await?;
    Ok(page(
        rows,
        &plan,
        |d| model::SORTS.position(&plan, d),
        |d| {
            let own: Vec<_> = attempts.iter().filter(|a| a.delivery_id == d.id).cloned().collect();
            DeliveryOut::of(d, own)
        },
    ))
}

/// Sends a delivery again now (the same event, the same `webhook-id`).
pub async fn retry(state: &AppState, actor: &Actor, endpoint_id: String, id: String) -> ApiResult<DeliveryOut> {
    actor.require(WEBHOOKS, Action::Write)?;
    let scope = actor.scope();
    state
        .db
        .write(move |conn| {
            let delivery = load(conn, &scope, &endpoint_id, &id)?;
            if !model::redeliver(conn, &scope, &endpoint_id, &id)? {
                return Err(ApiError::conflict(
                    "delivery_in_flight",
                    format!("Delivery {} is being attempted now: retry once its attempt is recorded.", delivery.id),
                ));
            }
            load(conn, &scope, &endpoint_id, &id)
        })
        .await
}

/// Sends again every delivery of the endpoint that failed for good since `since`.
pub async fn recover(state: &AppState, actor: &Actor, endpoint_id: String, input: RecoverIn) -> ApiResult<RecoverOut> {
    actor.require(WEBHOOKS, Action::Write)?;
    let since = crm_core::time::parse(&input.since)
        .ok_or_else(|| ApiError::invalid_field("/since", "invalid_time", "since must be an RFC 3339 time."))?;
    let scope = actor.scope();
    state
        .db
        .write(move |conn| {
            endpoint_exists(conn, &scope, &endpoint_id)?;
            Ok(RecoverOut { redelivering: model::recover(conn, &scope, &endpoint_id, since)? })
        })
        .await
}
