//! Audit rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::auth::Actor;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::http::{ListPlan, SortField, SortKind, Sorts};
use crate::schema::audit_log;
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    pub org_id: String,
    pub actor_type: String,
    pub actor_id: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub changes: String,
    pub request_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// An audit row to write.
#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct NewAuditRow {
    id: String,
    org_id: String,
    actor_type: String,
    actor_id: String,
    action: String,
    resource_type: String,
    resource_id: String,
    changes: String,
    request_id: Option<String>,
    created_at: NaiveDateTime,
}

impl NewAuditRow {
    pub fn new(
        actor: &Actor,
        action: &str,
        resource_type: &str,
        resource_id: &str,
        changes: &Map<String, Value>,
    ) -> Self {
        NewAuditRow {
            id: crate::id::new_id("aud"),
            org_id: actor.org_id.clone(),
            actor_type: actor.actor_type().to_string(),
            actor_id: actor.principal_id().to_string(),
            action: action.to_string(),
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
            changes: Value::Object(changes.clone()).to_string(),
            request_id: (!actor.request_id.is_empty()).then(|| actor.request_id.clone()),
            created_at: crate::time::now(),
        }
    }
}

impl NewAuditRow {
    /// `INSERT INTO audit_log … VALUES (…)`, to run alone or within a statement (see
    /// [`crate::change::record`]).
    pub fn insert(self) -> Vec<Piece> {
        crate::sql::insert_row(
            "audit_log",
            vec![
                ("id", Piece::Text(self.id)),
                ("org_id", Piece::Text(self.org_id)),
                ("actor_type", Piece::Text(self.actor_type)),
                ("actor_id", Piece::Text(self.actor_id)),
                ("action", Piece::Text(self.action)),
                ("resource_type", Piece::Text(self.resource_type)),
                ("resource_id", Piece::Text(self.resource_id)),
                ("changes", Piece::Text(self.changes)),
                ("request_id", Piece::OptionalText(self.request_id)),
                ("created_at", Piece::Time(self.created_at)),
            ],
        )
    }
}

pub fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    resource_type: &str,
    resource_id: &str,
    changes: &Map<String, Value>,
) -> ApiResult<()> {
    Statement::new(NewAuditRow::new(actor, action, resource_type, resource_id, changes).insert()).execute(conn)?;
    Ok(())
}

/// Writes many audit rows, a multi-row statement per chunk.
pub fn insert_many(conn: &mut DbConnection, rows: &[NewAuditRow]) -> ApiResult<()> {
    crate::insert_rows!(conn, audit_log::table, rows, 10)?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filters {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Any of these records (of `resource_type`).
    pub resource_ids: Option<Vec<String>>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
}

/// What the audit log sorts by: newest first.
pub static SORTS: Sorts<AuditEntry> = Sorts {
    default: "-created_at",
    id_column: "audit_log.id",
    id: |e| &e.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "audit_log.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |e| Some(crate::time::format(&e.created_at)),
    }],
};

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<AuditEntry>> {
    let org_id = scope.org_id();
    let mut query = audit_log::table.filter(audit_log::org_id.eq(org_id)).select(AuditEntry::as_select()).into_boxed();
    if let Some(v) = &filters.resource_type {
        query = query.filter(audit_log::resource_type.eq(v.clone()));
    }
    if let Some(v) = &filters.resource_id {
        query = query.filter(audit_log::resource_id.eq(v.clone()));
    }
    if let Some(v) = &filters.resource_ids {
        query = query.filter(audit_log::resource_id.eq_any(v.clone()));
    }
    if let Some(v) = &filters.actor_id {
        query = query.filter(audit_log::actor_id.eq(v.clone()));
    }
    if let Some(v) = &filters.action {
        query = query.filter(audit_log::action.eq(v.clone()));
    }
    let (order, after) = SORTS.keyset::<audit_log::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
