//! Delivery and attempt rows.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use diesel::prelude::*;

use crate::schema::{webhook_attempts as attempts, webhook_deliveries as deliveries};

pub const ID_PREFIX: &str = "whdel";
pub const PENDING: &str = "pending";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: String,
    pub org_id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_seq: i64,
    pub event_type: String,
    pub record_key: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attempts)]
pub struct Attempt {
    pub delivery_id: String,
    pub attempt: i32,
    pub org_id: String,
    pub attempted_at: NaiveDateTime,
    pub response_status: Option<i32>,
    pub latency_ms: i32,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// A delivery to create: due now.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = deliveries, treat_none_as_default_value = false)]
pub struct NewDelivery {
    pub id: String,
    org_id: String,
    endpoint_id: String,
    event_id: String,
    event_seq: i64,
    event_type: String,
    record_key: String,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl NewDelivery {
    /// `record_key` orders deliveries: an endpoint gets a record's events one at a time, in order.
    pub fn new(
        org_id: &str,
        endpoint_id: &str,
        event_id: &str,
        event_seq: i64,
        event_type: &str,
        record_key: &str,
    ) -> NewDelivery {
        let now = crm_core::time::now();
        NewDelivery {
            id: crm_core::id::new_id(ID_PREFIX),
            org_id: org_id.to_string(),
            endpoint_id: endpoint_id.to_string(),
            event_id: event_id.to_string(),
            event_seq,
            event_type: event_type.to_string(),
            record_key: record_key.to_string(),
            status: PENDING,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            updated_at: now,
        }
    }
}

pub fn insert_many(conn: &mut DbConnection, rows: &[NewDelivery]) -> ApiResult<()> {
    crm_core::insert_rows!(conn, deliveries::table, rows, 12)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, scope: &Scope, endpoint_id: &str, id: &str) -> ApiResult<Option<Delivery>> {
    Ok(deliveries::table
        .filter(deliveries::org_id.eq(scope.org_id()))
        .filter(deliveries::endpoint_id.eq(endpoint_id))
        .filter(deliveries::id.eq(id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()?)
}

/// The attempts of these deliveries, in order.
pub fn attempts_of(conn: &mut DbConnection, org_id: &str, ids: &[String]) -> ApiResult<Vec<Attempt>> {
    Ok(attempts::table
        .filter(attempts::org_id.eq(org_id))
        .filter(attempts::delivery_id.eq_any(ids))
        .order((attempts::delivery_id, attempts::attempt))
        .select(Attempt::as_select())
        .load(conn)?)
}

/// What deliveries sort by.
pub static SORTS: Sorts<Delivery> = Sorts {
    default: "created_at",
    id_column: "webhook_deliveries.id",
    id: |d| &d.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "webhook_deliveries.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |d| Some(crm_core::time::format(&d.created_at)),
    }],
};

/// The list's filters.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub status: Option<&'static str>,
    pub event_type: Option<String>,
    pub created_after: Option<NaiveDateTime>,
    pub created_before: Option<NaiveDateTime>,
}

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    endpoint_id: &str,
    filters: &Filters,
    plan: &ListPlan,
) -> ApiResult<Vec<Delivery>> {
    let mut query = deliveries::table
        .filter(deliveries::org_id.eq(scope.org_id()))
        .filter(deliveries::endpoint_id.eq(endpoint_id.to_string()))
        .select(Delivery::as_select())
        .into_boxed();
    if let Some(status) = filters.status {
        query = query.filter(deliveries::status.eq(status));
    }
    if let Some(event_type) = &filters.event_type {
        query = query.filter(deliveries::event_type.eq(event_type.clone()));
    }
    if let Some(after) = filters.created_after {
        query = query.filter(deliveries::created_at.ge(after));
    }
    if let Some(before) = filters.created_before {
        query = query.filter(deliveries::created_at.lt(before));
    }
    let (order, after) = SORTS.keyset::<deliveries::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Makes a delivery due now again, keeping its attempts: false when it is being attempted right
/// now (leased), whose outcome would otherwise overwrite this.
pub fn redeliver(conn: &mut DbConnection, scope: &Scope, endpoint_id: &str, id: &str) -> ApiResult<bool> {
    let now = crm_core::time::now();
    let updated = diesel::update(
        deliveries::table
            .filter(deliveries::org_id.eq(scope.org_id()))
            .filter(deliveries::endpoint_id.eq(endpoint_id))
            .filter(deliveries::id.eq(id))
            .filter(deliveries::lease_until.is_null().or(deliveries::lease_until.lt(now))),
    )
    .set((deliveries::status.eq(PENDING), deliveries::next_attempt_at.eq(now), deliveries::updated_at.eq(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Makes every delivery of the endpoint that failed for good since `since` due now again.
pub fn recover(conn: &mut DbConnection, scope: &Scope, endpoint_id: &str, since: NaiveDateTime) -> ApiResult<usize> {
    let now = crm_core::time::now();
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::org_id.eq(scope.org_id()))
            .filter(deliveries::endpoint_id.eq(endpoint_id))
            .filter(deliveries::status.eq(FAILED))
            .filter(deliveries::created_at.ge(since)),
    )
    .set((deliveries::status.eq(PENDING), deliveries::next_attempt_at.eq(now), deliveries::updated_at.eq(now)))
    .execute(conn)?)
}

/// Deletes the organization's deliveries (and attempts) created before `before`, up to `limit`.
pub fn prune(conn: &mut DbConnection, org_id: &str, before: NaiveDateTime, limit: i64) -> ApiResult<usize> {
    let old: Vec<String> = deliveries::table
        .filter(deliveries::org_id.eq(org_id))
        .filter(deliveries::created_at.lt(before))
        .filter(deliveries::status.ne(PENDING))
        .select(deliveries::id)
        .limit(limit)
        .load(conn)?;
    if old.is_empty() {
        return Ok(0);
    }
    diesel::delete(attempts::table.filter(attempts::org_id.eq(org_id)).filter(attempts::delivery_id.eq_any(&old)))
        .execute(conn)?;
    Ok(diesel::delete(deliveries::table.filter(deliveries::org_id.eq(org_id)).filter(deliveries::id.eq_any(&old)))
        .execute(conn)?)
}
