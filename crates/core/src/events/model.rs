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
use crate::sql::{Piece, Statement};

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

/// An event to write: `seq` is stamped later on PostgreSQL, at insert on SQLite.
#[derive(Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct NewEvent {
    id: String,
    org_id: String,
    seq: Option<i64>,
    event_type: String,
    actor_type: String,
    actor_id: String,
    data: String,
    created_at: NaiveDateTime,
}

impl NewEvent {
    pub fn new(actor: &Actor, event_type: &str, object: Value, previous: Option<Value>) -> Self {
        let data = match previous {
            Some(previous) => json!({"object": object, "previous_attributes": previous}),
            None => json!({"object": object}),
        };
        NewEvent {
            id: crate::id::new_id("evt"),
            org_id: actor.org_id.clone(),
            seq: None,
            event_type: event_type.to_string(),
            actor_type: actor.actor_type().to_string(),
            actor_id: actor.principal_id().to_string(),
            data: data.to_string(),
            created_at: crate::time::now(),
        }
    }

    /// `INSERT INTO events … VALUES (…)` with no `seq`, to run alone or within a statement (see
    /// [`crate::change::record`]); on SQLite, [`stamp`] then numbers it.
    pub fn insert(self) -> Vec<Piece> {
        crate::sql::insert_row(
            "events",
            vec![
                ("id", Piece::Text(self.id)),
                ("org_id", Piece::Text(self.org_id)),
                ("seq", Piece::OptionalBigInt(None)),
                ("type", Piece::Text(self.event_type)),
                ("actor_type", Piece::Text(self.actor_type)),
                ("actor_id", Piece::Text(self.actor_id)),
                ("data", Piece::Text(self.data)),
                ("created_at", Piece::Time(self.created_at)),
            ],
        )
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Records an event on the caller's connection: it commits or rolls back with the change.
/// Returns the event's id.
pub fn emit(
    conn: &mut DbConnection,
    actor: &Actor,
    event_type: &str,
    object: Value,
    previous: Option<Value>,
) -> ApiResult<String> {
    let event = NewEvent::new(actor, event_type, object, previous);
    let id = event.id.clone();
    Statement::new(event.insert()).execute(conn)?;
    stamp(conn, &actor.org_id, &id)?;
    Ok(id)
}

/// Numbers an event just inserted, on SQLite (PostgreSQL's sequencer numbers committed events).
pub fn stamp(conn: &mut DbConnection, org_id: &str, id: &str) -> ApiResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        // One writer at a time: insert order is commit order.
        diesel::sql_query(
            "UPDATE events SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE org_id = ?) \
             WHERE org_id = ? AND id = ?",
        )
        .bind::<Text, _>(org_id)
        .bind::<Text, _>(org_id)
        .bind::<Text, _>(id)
        .execute(c)?;
    }
    Ok(())
}

/// Records many events of one organization, in order, a multi-row statement per chunk.
pub fn emit_many(conn: &mut DbConnection, org_id: &str, mut batch: Vec<NewEvent>) -> ApiResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        // One writer at a time: the next numbers are free until this transaction ends.
        let last: Option<i64> =
            events::table.filter(events::org_id.eq(org_id)).select(diesel::dsl::max(events::seq)).first(c)?;
        for (event, seq) in batch.iter_mut().zip(last.unwrap_or(0) + 1..) {
            event.seq = Some(seq);
        }
    }
    crate::insert_rows!(conn, events::table, batch, 8)?;
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
    // A reader first looks: when no event in its snapshot is unstamped, every event committed
    // before it is stamped and visible (stamps not yet committed would show as unstamped), and
    // the stamping transaction's four round trips buy nothing.
    if wait && !any_unstamped(c)? {
        return Ok(0);
    }
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
        let stamped = diesel::sql_query(
            "UPDATE events SET seq = stamped.n \
             FROM (SELECT org_id, id, nextval('events_seq') AS n \
                   FROM (SELECT org_id, id FROM events WHERE seq IS NULL ORDER BY id LIMIT 10000) pending) stamped \
             WHERE events.org_id = stamped.org_id AND events.id = stamped.id",
        )
        .execute(c)?;
        if stamped > 0 {
            // Every process's listener hears it when this commits (`service::run_listener`).
            diesel::sql_query(format!("SELECT pg_notify('crm_events', '{STAMPED}')")).execute(c)?;
        }
        Ok(stamped)
    })?;
    Ok(stamped)
}

/// Whether a committed event waits for its stamp (PostgreSQL; an index probe of
/// `events_unsequenced`).
pub fn any_unstamped(conn: &mut diesel::PgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(events::table.filter(events::seq.is_null()))).get_result(conn)
}

/// The `crm_events` notification of newly stamped events.
pub const STAMPED: &str = "stamped";

/// A type filter: `contact.created` or `contact.*`.
#[derive(Debug, Clone)]
pub enum TypePattern {
    Exact(String),
    Prefix(String),
}

impl TypePattern {
    /// `contact.*` is the group `contact`; anything else one type (checked by the caller).
    pub fn of(pattern: &str) -> TypePattern {
        match pattern.strip_suffix(".*") {
            Some(group) => TypePattern::Prefix(group.to_string()),
            None => TypePattern::Exact(pattern.to_string()),
        }
    }

    /// Whether an event of `event_type` is one the pattern takes (the feed's SQL filter, in Rust).
    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            TypePattern::Exact(t) => t == event_type,
            TypePattern::Prefix(group) => {
                event_type.strip_prefix(group.as_str()).is_some_and(|rest| rest.starts_with('.'))
            }
        }
    }
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

/// The scheduled job that prunes events older than the retention.
pub const PRUNE_KIND: &str = "events.prune";

/// The highest `seq` pruned from the organization's feed (0: none): a reader positioned before
/// it has missed events for good.
pub fn horizon(conn: &mut DbConnection, org_id: &str) -> ApiResult<i64> {
    use crate::schema::event_horizons;
    let pruned: Option<i64> = event_horizons::table
        .filter(event_horizons::org_id.eq(org_id))
        .select(event_horizons::pruned_through)
        .first(conn)
        .optional()?;
    Ok(pruned.unwrap_or(0))
}

/// Deletes up to `limit` sequenced events created before `before`, oldest first, and moves the
/// organization's horizon past them; returns how many it deleted.
pub fn prune(conn: &mut DbConnection, org_id: &str, before: NaiveDateTime, limit: i64) -> ApiResult<usize> {
    use crate::schema::event_horizons;
    let last: Option<i64> = events::table
        .filter(events::org_id.eq(org_id))
        .filter(events::seq.is_not_null())
        .filter(events::created_at.lt(before))
        .order(events::seq.asc())
        .select(events::seq)
        .offset(limit - 1)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    // Fewer than `limit` old events: all of them, up to the newest old one.
    let through = match last {
        Some(seq) => Some(seq),
        None => events::table
            .filter(events::org_id.eq(org_id))
            .filter(events::created_at.lt(before))
            .select(diesel::dsl::max(events::seq))
            .first::<Option<i64>>(conn)?,
    };
    let Some(through) = through else { return Ok(0) };
    let deleted = diesel::delete(events::table.filter(events::org_id.eq(org_id)).filter(events::seq.le(through)))
        .execute(conn)?;
    let horizon = horizon(conn, org_id)?.max(through);
    diesel::delete(event_horizons::table.filter(event_horizons::org_id.eq(org_id))).execute(conn)?;
    diesel::insert_into(event_horizons::table)
        .values((event_horizons::org_id.eq(org_id), event_horizons::pruned_through.eq(horizon)))
        .execute(conn)?;
    Ok(deleted)
}

/// The organization's last sequenced event (0: none yet).
pub fn last_seq(conn: &mut DbConnection, org_id: &str) -> ApiResult<i64> {
    let last: Option<i64> =
        events::table.filter(events::org_id.eq(org_id)).select(diesel::dsl::max(events::seq)).first(conn)?;
    Ok(last.unwrap_or(0))
}
