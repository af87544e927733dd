//! Fan-out: each enabled endpoint's new events become delivery rows. An endpoint's position
//! (`after_seq`) moves in the same transaction as its rows are inserted, guarded by its old
//! value, so an event fans out to an endpoint exactly once even with several processes.

use std::collections::BTreeMap;

use crm_core::db::{Db, DbConnection};
use crm_core::error::{ApiError, ApiResult};
use crm_core::schema::events;
use diesel::prelude::*;
use serde::Deserialize;

use crate::delivery::model::{self as delivery, NewDelivery};
use crate::endpoint::model::{self as endpoint, Endpoint};

/// Events read per organization per pass.
const BATCH: i64 = 5000;

/// One pass over every organization with endpoints behind its feed; returns the deliveries created.
pub async fn fan_out(db: &Db) -> ApiResult<usize> {
    let behind = db
        .read(|conn| {
            let mut by_org: BTreeMap<String, Vec<Endpoint>> = BTreeMap::new();
            for e in endpoint::enabled_everywhere(conn)? {
                by_org.entry(e.org_id.clone()).or_default().push(e);
            }
            let mut behind = Vec::new();
            for (org_id, endpoints) in by_org {
                let last = crm_core::events::model::last_seq(conn, &org_id)?;
                let lagging: Vec<Endpoint> = endpoints.into_iter().filter(|e| e.after_seq < last).collect();
                if !lagging.is_empty() {
                    behind.push((org_id, lagging));
                }
            }
            Ok(behind)
        })
        .await?;
    let mut created = 0;
    for (org_id, endpoints) in behind {
        match db.write(move |conn| fan_out_org(conn, &org_id, &endpoints)).await {
            Ok(n) => created += n,
            // Another process fanned these out first: nothing to do.
            Err(e) if e.code == RACED => {}
            Err(e) => return Err(e),
        }
    }
    Ok(created)
}

/// Deliveries created after which PostgreSQL's statistics of the table are refreshed.
pub const REPLAN_AFTER: usize = 5000;

/// Refreshes PostgreSQL's statistics of `webhook_deliveries`. A burst of new rows leaves them
/// behind until autovacuum comes by (a minute or more), and the claim then reads every due row
/// instead of the first few by index. It costs a sample of the table.
pub async fn replan(db: &Db) -> ApiResult<()> {
    if db.backend() == crm_core::db::Backend::Postgres {
        db.read(|conn| Ok(diesel::sql_query("ANALYZE webhook_deliveries").execute(conn)?)).await?;
    }
    Ok(())
}

const RACED: &str = "fan_out_raced";

#[derive(Queryable)]
struct EventHead {
    id: String,
    seq: Option<i64>,
    event_type: String,
    data: String,
}

#[derive(Deserialize)]
struct Data {
    object: Option<Object>,
}

#[derive(Deserialize)]
struct Object {
    id: Option<String>,
}

fn fan_out_org(conn: &mut DbConnection, org_id: &str, endpoints: &[Endpoint]) -> ApiResult<usize> {
    let from = endpoints.iter().map(|e| e.after_seq).min().unwrap_or(0);
    let heads: Vec<EventHead> = events::table
        .filter(events::org_id.eq(org_id))
        .filter(events::seq.gt(from))
        .order(events::seq.asc())
        .limit(BATCH)
        .select((events::id, events::seq, events::event_type, events::data))
        .load(conn)?;
    let Some(to) = heads.last().and_then(|h| h.seq) else { return Ok(0) };
    let mut rows = Vec::new();
    for e in endpoints {
        let types = e.types();
        for head in heads.iter().filter(|h| h.seq.is_some_and(|s| s > e.after_seq)) {
            // A test event goes to the one endpoint it was sent to, by its own row.
            if head.event_type == crate::events::TEST || !endpoint::takes(&types, &head.event_type) {
                continue;
            }
            let record = serde_json::from_str::<Data>(&head.data).ok().and_then(|d| d.object?.id);
            let key = record.as_deref().unwrap_or(&head.id);
            rows.push(NewDelivery::new(org_id, &e.id, &head.id, head.seq.unwrap_or(0), &head.event_type, key));
        }
        if !endpoint::advance(conn, org_id, &e.id, e.after_seq, to.max(e.after_seq))? {
            return Err(ApiError::conflict(RACED, "another process fanned out these events"));
        }
    }
    delivery::insert_many(conn, &rows)?;
    Ok(rows.len())
}
