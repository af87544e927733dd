//! The write runner: every update and delete of a versioned record goes through [`Versioned`].
//! Its own statements are `crate::sql` statements, which diesel keeps prepared (an
//! `sql_query` is parsed and planned again on every call).
//!
//! It takes the row so no other writer can change it underneath (`SELECT … FOR NO KEY UPDATE`
//! on PostgreSQL, which runs READ COMMITTED, so rows that only reference it by foreign key are
//! not held up; SQLite has one writer connection, which already serializes writes), loads the
//! record *after* the lock so a change applies to the latest state, checks `If-Match`, lets the
//! resource write its change, bumps the version once, and records the audit row and the event
//! in the same transaction. A resource writes its own columns; it never writes `version`.
//!
//! Each statement is a round trip, most of a write's cost on PostgreSQL, so a resource may
//! lock and load in one statement ([`Versioned::load_locked`]) and hand its row's columns to
//! the runner ([`Edit::Saved`]), which writes them, the version, the audit row and the event in
//! one statement ([`crate::change::record_with`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Serialize;

use crate::auth::Actor;
use crate::change::{self, Change};
use crate::db::{Backend, DbConnection};
use crate::error::ApiResult;
use crate::http::check_version;
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

/// What an edit did: an edit that changes nothing writes nothing (no version, no event).
#[derive(Debug, Clone)]
pub enum Edit<O> {
    Unchanged,
    /// Changed: the runner bumps the version and reads the record after.
    Changed,
    /// Changed, but the record's own row not written yet: `row` are its columns (the caller's
    /// constants, `updated_at` included) and `after` the record as they make it, one version
    /// more; `writes` are the change's other writes (`INSERT`s and `UPDATE`s with no result, of
    /// other rows, each row once). The runner sends them all, with the version, the audit row
    /// and the event, in one statement on PostgreSQL, and reads nothing again.
    Saved {
        after: O,
        row: Vec<(&'static str, Piece)>,
        writes: Vec<Vec<Piece>>,
    },
}

/// A creation worked out by reads alone: the record as `writes` store it (its row's `INSERT`
/// among them). [`Planned::write`] sends them with the audit row and the event, in one statement
/// on PostgreSQL, so [`crate::db::Db::write_planned`] needs no transaction around them there,
/// unless a follow-up ([`Planned::then`]) must see the stored record in the same transaction.
pub struct Planned<O> {
    resource: &'static str,
    actor: Actor,
    id: String,
    record: O,
    writes: Vec<Vec<Piece>>,
    then: Option<FollowUp<O>>,
}

/// What a creation does once its record is stored, in the same transaction (given the record as
/// written, it returns it as the caller gets it).
type FollowUp<O> = Box<dyn FnOnce(&mut DbConnection, O) -> ApiResult<O>>;

impl<O: Serialize> Planned<O> {
    /// Writes the record, its audit row and its `<resource>.created` event, then the follow-up;
    /// returns the record.
    pub fn write(self, conn: &mut DbConnection) -> ApiResult<O> {
        let after = serde_json::to_value(&self.record)?;
        let change =
            Change { resource: self.resource, id: &self.id, action: "created", before: None, after: Some(&after) };
        change::record_with(conn, &self.actor, change, self.writes)?;
        match self.then {
            Some(then) => then(conn, self.record),
            None => Ok(self.record),
        }
    }

    /// The creation with a follow-up that needs its stored row (a rule whose conditions read it).
    pub fn then(mut self, follow_up: impl FnOnce(&mut DbConnection, O) -> ApiResult<O> + 'static) -> Planned<O> {
        self.then = Some(Box::new(follow_up));
        self
    }

    /// Whether writing it takes more than its one statement (a follow-up).
    pub fn has_follow_up(&self) -> bool {
        self.then.is_some()
    }
}

/// Reads a record as the API shows it: 404 when missing, trashed or out of the scope's sight.
pub type Load<O> = fn(&mut DbConnection, &Scope, &str) -> ApiResult<O>;

/// A versioned resource, as the write runner needs to know it.
pub struct Versioned<O> {
    /// The table (a constant, never input).
    pub table: &'static str,
    /// The column holding the organization: `org_id`, or `id` for the organizations themselves.
    pub org_column: &'static str,
    /// The audit and event resource: `contact` gives `contact.updated`.
    pub resource: &'static str,
    pub load: Load<O>,
    /// `load` that also takes the row's lock, in the same statement (see [`Versioned::live_row`]);
    /// without it, the runner locks and then loads: a round trip more.
    pub load_locked: Option<Load<O>>,
    pub version: fn(&O) -> i64,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = BigInt)]
    #[expect(dead_code, reason = "loaded to take the row's lock, never read")]
    version: i64,
}

impl<O: Serialize> Versioned<O> {
    /// `… WHERE <org> = ? AND id = ?`: the record in the scope's organization, for the runner's
    /// own statements.
    fn the_row(&self, scope: &Scope, id: &str) -> [Piece; 4] {
        [
            Piece::Sql(format!(" WHERE {} = ", self.org_column)),
            Piece::Text(scope.org_id().to_string()),
            Piece::Sql(" AND id = ".into()),
            Piece::Text(id.to_string()),
        ]
    }

    /// Takes the row until the transaction ends (whether live or trashed); a no-op on SQLite.
    pub fn lock(&self, conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
        if conn.backend() == Backend::Postgres {
            let mut pieces = vec![Piece::Sql(format!("SELECT version FROM {}", self.table))];
            pieces.extend(self.the_row(scope, id));
            pieces.push(Piece::Sql(" FOR NO KEY UPDATE".into()));
            Statement::new(pieces).load::<VersionRow>(conn)?;
        }
        Ok(())
    }

    /// [`Versioned::lock`] for many records at once (bulk writes): one statement per chunk.
    pub fn lock_many(&self, conn: &mut DbConnection, scope: &Scope, ids: &[&str]) -> ApiResult<()> {
        if conn.backend() != Backend::Postgres {
            return Ok(());
        }
        for chunk in ids.chunks(crate::db::rows_per_statement(1)) {
            let mut pieces = vec![
                Piece::Sql(format!("SELECT version FROM {} WHERE {} = ", self.table, self.org_column)),
                Piece::Text(scope.org_id().to_string()),
                Piece::Sql(" AND id IN (".into()),
            ];
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    pieces.push(Piece::Sql(", ".into()));
                }
                pieces.push(Piece::Text(id.to_string()));
            }
            pieces.push(Piece::Sql(") FOR NO KEY UPDATE".into()));
            Statement::uncached(pieces).load::<VersionRow>(conn)?;
        }
        Ok(())
    }

    /// Locks the record and checks `If-Match` (412 when it moved on): the record as it is now,
    /// 404 when it is out of the scope's sight.
    pub fn take(&self, conn: &mut DbConnection, scope: &Scope, id: &str, if_match: Option<i64>) -> ApiResult<O> {
        let before = match self.load_locked {
            Some(load_locked) => load_locked(conn, scope, id)?,
            None => {
                self.lock(conn, scope, id)?;
                (self.load)(conn, scope, id)?
            }
        };
        check_version(if_match, (self.version)(&before))?;
        Ok(before)
    }

    /// One version more, and a new `updated_at` unless the edit, which began at `since`, set one
    /// already. An edit that wrote its row then costs no second index update: `version` is in
    /// no index, so PostgreSQL can make the bump a heap-only update.
    pub fn bump(&self, conn: &mut DbConnection, scope: &Scope, id: &str, since: NaiveDateTime) -> ApiResult<()> {
        let mut pieces = vec![
            Piece::Sql(format!(
                "UPDATE {} SET version = version + 1, updated_at = CASE WHEN updated_at < ",
                self.table
            )),
            Piece::Time(since),
            Piece::Sql(" THEN ".into()),
            Piece::Time(crate::time::now()),
            Piece::Sql(" ELSE updated_at END".into()),
        ];
        pieces.extend(self.the_row(scope, id));
        Statement::new(pieces).execute(conn)?;
        Ok(())
    }

    /// Moves a record to the trash (its `deleted_at` set to now) or, with `false`, back out of it.
    /// Every trashable table has the column; the caller's `delete` or restore bumps the version.
    pub fn set_trashed(&self, conn: &mut DbConnection, scope: &Scope, id: &str, trashed: bool) -> ApiResult<()> {
        let deleted_at = if trashed { Piece::Time(crate::time::now()) } else { Piece::Sql("NULL".into()) };
        let mut pieces = vec![Piece::Sql(format!("UPDATE {} SET deleted_at = ", self.table)), deleted_at];
        pieces.extend(self.the_row(scope, id));
        Statement::new(pieces).execute(conn)?;
        Ok(())
    }

    /// A live record in the scope's sight (`sight`: the scope's condition on this table), its
    /// row locked until the transaction ends (`FOR NO KEY UPDATE` on PostgreSQL; SQLite has one
    /// writer): the one statement a resource's `load_locked` runs.
    pub fn live_row<R>(
        &self,
        conn: &mut DbConnection,
        scope: &Scope,
        sight: Option<Vec<Piece>>,
        id: &str,
    ) -> ApiResult<Option<R>>
    where
        R: QueryableByName<<DbConnection as Connection>::Backend> + 'static,
    {
        let mut pieces = vec![Piece::Sql(format!("SELECT * FROM {}", self.table))];
        pieces.extend(self.the_row(scope, id));
        pieces.push(Piece::Sql(" AND deleted_at IS NULL".into()));
        if let Some(sight) = sight {
            pieces.push(Piece::Sql(" AND ".into()));
            pieces.extend(sight);
        }
        if conn.backend() == Backend::Postgres {
            pieces.push(Piece::Sql(" FOR NO KEY UPDATE".into()));
        }
        Ok(Statement::new(pieces).get_result::<R>(conn).optional()?)
    }

    /// Writes the record's columns (`set`, the caller's constants, with `updated_at`) and one
    /// version more, in one statement that returns the row as stored (writes other than
    /// updates: a restore, an erasure).
    pub fn save<R>(&self, conn: &mut DbConnection, scope: &Scope, id: &str, set: Vec<(&str, Piece)>) -> ApiResult<R>
    where
        R: QueryableByName<<DbConnection as Connection>::Backend> + 'static,
    {
        let mut pieces = self.row_update(scope, id, set);
        pieces.push(Piece::Sql(" RETURNING *".into()));
        Ok(Statement::new(pieces).get_result::<R>(conn)?)
    }

    /// `UPDATE` of the record's columns and one version more.
    fn row_update(&self, scope: &Scope, id: &str, mut set: Vec<(&str, Piece)>) -> Vec<Piece> {
        set.push(("version", Piece::Sql("version + 1".into())));
        crate::sql::update_row(self.table, scope.org_id(), id, set)
    }

    /// Records a creation the caller has just stored: the record as its creator sees it (whoever
    /// they made its owner), with its audit row and `<resource>.created` event.
    pub fn created(&self, conn: &mut DbConnection, actor: &Actor, id: &str) -> ApiResult<O> {
        let created = (self.load)(conn, &actor.scope().unrestricted(), id)?;
        self.plan_created(actor, id, created, Vec::new()).write(conn)
    }

    /// A creation worked out and not written yet, `created` being the record as `writes` store
    /// it (its row's `INSERT` among them): see [`Planned`].
    pub fn plan_created(&self, actor: &Actor, id: &str, created: O, writes: Vec<Vec<Piece>>) -> Planned<O> {
        Planned {
            resource: self.resource,
            actor: actor.clone(),
            id: id.to_string(),
            record: created,
            writes,
            then: None,
        }
    }

    /// Updates a record: `edit` writes the change to the locked record it is given.
    /// `action` names the event (`updated`, `deactivated`, `revoked`…).
    pub fn update(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        id: &str,
        if_match: Option<i64>,
        action: &str,
        edit: impl FnOnce(&mut DbConnection, &O) -> ApiResult<Edit<O>>,
    ) -> ApiResult<O> {
        self.update_named(conn, actor, id, if_match, |conn, before| Ok((edit(conn, before)?, action)))
    }

    /// [`Versioned::update`] whose edit names the event by what it did to the locked record
    /// (a deal's edit that moved it to a won stage is `deal.won`).
    pub fn update_named<'a>(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        id: &str,
        if_match: Option<i64>,
        edit: impl FnOnce(&mut DbConnection, &O) -> ApiResult<(Edit<O>, &'a str)>,
    ) -> ApiResult<O> {
        let since = crate::time::now();
        let scope = actor.scope();
        let before = self.take(conn, &scope, id, if_match)?;
        let (edit, action) = edit(conn, &before)?;
        let (after, write) = match edit {
            Edit::Unchanged => return Ok(before),
            Edit::Changed => {
                self.bump(conn, &scope, id, since)?;
                ((self.load)(conn, &scope.unrestricted(), id)?, Vec::new())
            }
            Edit::Saved { after, row, mut writes } => {
                writes.insert(0, self.row_update(&scope, id, row));
                (after, writes)
            }
        };
        let (b, a) = (serde_json::to_value(&before)?, serde_json::to_value(&after)?);
        let change = Change { resource: self.resource, id, action, before: Some(&b), after: Some(&a) };
        change::record_with(conn, actor, change, write)?;
        Ok(after)
    }

    /// Brings a record back from the trash: takes its row, lets `revive` put back what the
    /// trash took from it (its external ids, its search document…; a 404 when it is not in the
    /// trash), takes it out of the trash, bumps the version and records `<resource>.restored`.
    /// Returns the record as its restorer sees it.
    pub fn restore(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        id: &str,
        revive: impl FnOnce(&mut DbConnection, &Scope) -> ApiResult<()>,
    ) -> ApiResult<O> {
        let scope = actor.scope();
        self.lock(conn, &scope, id)?;
        revive(conn, &scope)?;
        self.set_trashed(conn, &scope, id, false)?;
        self.bump(conn, &scope, id, crate::time::now())?;
        let after = (self.load)(conn, &scope.unrestricted(), id)?;
        let a = serde_json::to_value(&after)?;
        change::record(
            conn,
            actor,
            Change { resource: self.resource, id, action: "restored", before: None, after: Some(&a) },
        )?;
        Ok(after)
    }

    /// Deletes a record (or moves it to the trash): `remove` does it to the locked record.
    /// Returns the record as it was.
    pub fn delete(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        id: &str,
        if_match: Option<i64>,
        remove: impl FnOnce(&mut DbConnection, &O) -> ApiResult<()>,
    ) -> ApiResult<O> {
        let since = crate::time::now();
        let before = self.take(conn, &actor.scope(), id, if_match)?;
        remove(conn, &before)?;
        // A trashed row keeps counting versions; a removed one is simply gone.
        self.bump(conn, &actor.scope(), id, since)?;
        let b = serde_json::to_value(&before)?;
        change::record(
            conn,
            actor,
            Change { resource: self.resource, id, action: "deleted", before: Some(&b), after: None },
        )?;
        Ok(before)
    }
}
