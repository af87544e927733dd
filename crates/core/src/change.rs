//! Recording a change: the audit-log row (field-level before/after) and the outbox event,
//! both written on the caller's connection, inside the change's own transaction.

use diesel::RunQueryDsl;
use serde_json::{Map, Value};

use crate::audit::model::NewAuditRow;
use crate::auth::Actor;
use crate::db::{Backend, DbConnection};
use crate::error::ApiResult;
use crate::events::model::NewEvent;
use crate::sql::{Piece, Statement};

/// One change to one record. `before`/`after` are the record's API representation.
pub struct Change<'a> {
    /// `user`, `api_key`, `contact`…: the event type is `<resource>.<action>`.
    pub resource: &'a str,
    pub id: &'a str,
    /// Past tense: `created`, `updated`, `deleted`, `revoked`…
    pub action: &'a str,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

/// Writes the audit row and the event for `change`: on PostgreSQL in one statement (a write's
/// round trips to the database are most of its cost there).
pub fn record(conn: &mut DbConnection, actor: &Actor, change: Change<'_>) -> ApiResult<()> {
    record_with(conn, actor, change, Vec::new())
}

/// [`record`] with the change's own writes (`INSERT`s and `UPDATE`s with no result, of
/// different rows) sent in the same statement on PostgreSQL, where foreign keys are checked at
/// its end; in order, before the audit row and the event, on SQLite.
pub fn record_with(
    conn: &mut DbConnection,
    actor: &Actor,
    change: Change<'_>,
    writes: Vec<Vec<Piece>>,
) -> ApiResult<()> {
    let fields = diff(change.before, change.after);
    let audit = NewAuditRow::new(actor, change.action, change.resource, change.id, &fields).insert();
    let (event_type, object, previous) = event_of(&change, &fields);
    let event = NewEvent::new(actor, &event_type, object, previous);
    match conn.backend() {
        Backend::Postgres => {
            let mut pieces = vec![Piece::Sql("WITH ".into())];
            for (i, write) in writes.into_iter().enumerate() {
                pieces.push(Piece::Sql(format!("written{i} AS (")));
                pieces.extend(write);
                pieces.push(Piece::Sql("), ".into()));
            }
            pieces.push(Piece::Sql("audit AS (".into()));
            pieces.extend(audit);
            pieces.push(Piece::Sql(") ".into()));
            pieces.extend(event.insert());
            Statement::new(pieces).execute(conn)?;
        }
        Backend::Sqlite => {
            for write in writes {
                Statement::new(write).execute(conn)?;
            }
            let id = event.id().to_string();
            Statement::new(audit).execute(conn)?;
            Statement::new(event.insert()).execute(conn)?;
            crate::events::model::stamp(conn, &actor.org_id, &id)?;
        }
    }
    Ok(())
}

/// Writes the audit rows and the events of many changes by one actor, in order: a statement
/// per table rather than two per change (batches, imports).
pub fn record_many(conn: &mut DbConnection, actor: &Actor, changes: &[Change<'_>]) -> ApiResult<()> {
    let mut audit = Vec::with_capacity(changes.len());
    let mut events = Vec::with_capacity(changes.len());
    for change in changes {
        let fields = diff(change.before, change.after);
        audit.push(NewAuditRow::new(actor, change.action, change.resource, change.id, &fields));
        let (event_type, object, previous) = event_of(change, &fields);
        events.push(NewEvent::new(actor, &event_type, object, previous));
    }
    crate::audit::model::insert_many(conn, &audit)?;
    crate::events::model::emit_many(conn, &actor.org_id, events)
}

/// The event of a change: its type, the object, and the changed fields' previous values.
fn event_of(change: &Change<'_>, fields: &Map<String, Value>) -> (String, Value, Option<Value>) {
    let object = change.after.or(change.before).cloned().unwrap_or(Value::Null);
    let previous = match (change.before, change.after) {
        (Some(_), Some(_)) => {
            let previous: Map<String, Value> =
                fields.iter().map(|(k, v)| (k.clone(), v.get("before").cloned().unwrap_or(Value::Null))).collect();
            Some(Value::Object(previous))
        }
        _ => None,
    };
    (format!("{}.{}", change.resource, change.action), object, previous)
}

/// `{"field": {"before": …, "after": …}}` for each top-level field that differs.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Map<String, Value> {
    let empty = Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut fields = Map::new();
    for key in before.keys().chain(after.keys()) {
        if fields.contains_key(key) || key == "version" || key == "updated_at" {
            continue;
        }
        let (b, a) = (before.get(key).unwrap_or(&Value::Null), after.get(key).unwrap_or(&Value::Null));
        if b != a {
            let mut pair = Map::new();
            pair.insert("before".into(), b.clone());
            pair.insert("after".into(), a.clone());
            fields.insert(key.clone(), Value::Object(pair));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = json!({"name": "Ada", "role": "sales", "version": 1});
        let after = json!({"name": "Ada", "role": "admin", "version": 2});
        let fields = diff(Some(&before), Some(&after));
        assert_eq!(Value::Object(fields), json!({"role": {"before": "sales", "after": "admin"}}));
        assert_eq!(diff(None, Some(&after)).len(), 2);
    }
}
