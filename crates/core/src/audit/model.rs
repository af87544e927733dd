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

pub fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    resource_type: &str,
    resource_id: &str,
    changes: &Map<String, Value>,
) -> ApiResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(crate::id::new_id("aud")),
            audit_log::org_id.eq(&actor.org_id),
            audit_log::actor_type.eq(actor.actor_type()),
            audit_log::actor_id.eq(actor.principal_id()),
            audit_log::action.eq(action),
            audit_log::resource_type.eq(resource_type),
            audit_log::resource_id.eq(resource_id),
            audit_log::changes.eq(Value::Object(changes.clone()).to_string()),
            audit_log::request_id.eq((!actor.request_id.is_empty()).then_some(&actor.request_id)),
            audit_log::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filters {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
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
