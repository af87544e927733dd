//! Event rows: insert (in the change's transaction), sequence, read the feed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{Value, json};

use crate::auth::Actor;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::events;
use crate::scope::Scope;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: String,
    pub org_id: String,
    pub seq: Option<i64>,
    pub event_type: String,
    pub actor_type: String,
    pub actor_id: String,
    pub data: String,
    pub created_at: NaiveDateTime,
}

/// Records an event on the caller's connection: it commits or rolls back with the change.
pub fn emit(
    conn: &mut DbConnection,
    actor: &Actor,
    event_type: &str,
    object: Value,
    previous: Option<Value>,
) -> ApiResult<()> {
    let id = crate::id::new_id("evt");
    let data = match previous {
        Some(previous) => json!({"object": object, "previous_attributes": previous}),
        None => json!({"object": object}),
    };
    diesel::insert_into(events::table)
        .values((
            events::id.eq(&id),
            events::org_id.eq(&actor.org_id),
            events::event_type.eq(event_type),
            events::actor_type.eq(actor.actor_type()),
            events::actor_id.eq(actor.principal_id()),
            events::data.eq(data.to_string()),
            events::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    if let DbConnection::Sqlite(c) = conn {
        // One writer at a time: insert order is commit order.
        diesel::sql_query(
            "UPDATE events SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE org_id = ?) \
             WHERE org_id = ? AND id = ?",
        )
        .bind::<Text, _>(&actor.org_id)
        .bind::<Text, _>(&actor.org_id)
        .bind::<Text, _>(&id)
        .execute(c)?;
    }
    Ok(())
}

/// Stamps `seq` on committed, unstamped events, in one serial step (PostgreSQL only; SQLite
/// stamps at insert). Returns how many were stamped. The background sequencer passes over a
/// step another holds; a reader (`wait`) waits for it and then stamps, so what committed before
/// its request is never missing from its answer.
pub fn sequence(conn: &mut DbConnection, wait: bool) -> ApiResult<usize> {
    let DbConnection::Postgres(c) = conn else {
        return Ok(0);
    };
    #[derive(QueryableByName)]
    struct Lock {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        taken: bool,
    }
    let stamped = c.transaction::<usize, diesel::result::Error, _>(|c| {
        // One sequencer at a time; whoever finds the lock taken leaves the stamping to its holder.
        let lock: Lock = if wait {
            diesel::sql_query("SELECT pg_advisory_xact_lock(7263001) IS NOT NULL AS taken").get_result(c)?
        } else {
            diesel::sql_query("SELECT pg_try_advisory_xact_lock(7263001) AS taken").get_result(c)?
        };
        if !lock.taken {
            return Ok(0);
        }
        diesel::sql_query(
            "UPDATE events SET seq = stamped.n \
             FROM (SELECT org_id, id, nextval('events_seq') AS n \
                   FROM (SELECT org_id, id FROM events WHERE seq IS NULL ORDER BY id LIMIT 10000) pending) stamped \
             WHERE events.org_id = stamped.org_id AND events.id = stamped.id",
        )
        .execute(c)
    })?;
    Ok(stamped)
}

/// A type filter: `contact.created` or `contact.*`.
#[derive(Debug, Clone)]
pub enum TypePattern {
    Exact(String),
    Prefix(String),
}

type Db = <DbConnection as Connection>::Backend;

/// The organization's sequenced events after `after`, in order.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    after: i64,
    types: &[TypePattern],
    limit: i64,
) -> ApiResult<Vec<Event>> {
    let org_id = scope.org_id();
    let mut query = events::table
        .filter(events::org_id.eq(org_id))
        .filter(events::seq.gt(after))
        .select(Event::as_select())
        .order(events::seq.asc())
        .limit(limit)
        .into_boxed();
    if !types.is_empty() {
        let mut condition: Box<dyn BoxableExpression<events::table, Db, SqlType = diesel::sql_types::Bool>> =
            Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
        for pattern in types {
            condition = match pattern {
                TypePattern::Exact(t) => Box::new(condition.or(events::event_type.eq(t.clone()))),
                TypePattern::Prefix(p) => {
                    let prefix = crate::filter::escape_like(p);
                    Box::new(condition.or(events::event_type.like(format!("{prefix}.%")).escape('\\')))
                }
            };
        }
        query = query.filter(condition);
    }
    Ok(query.load(conn)?)
}
