//! SLA policy rows, and the SLA columns of tickets; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::{sla_policies, tickets};

pub const RECORD_TYPE: &str = "sla_policy";
pub const ID_PREFIX: &str = "sla";

/// Bits of a ticket's `sla_flags`: what was announced already.
pub const FIRST_RESPONSE_WARNED: i32 = 1;
pub const FIRST_RESPONSE_BREACHED: i32 = 2;
pub const RESOLUTION_WARNED: i32 = 4;
pub const RESOLUTION_BREACHED: i32 = 8;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sla_policies)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub position: i32,
    pub filter: Option<String>,
    pub first_response_minutes: Option<i32>,
    pub resolution_minutes: Option<i32>,
    pub clock: String,
    pub warn_before_minutes: i32,
    pub raise_priority: i32,
    pub escalation_team_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a policy's writes set.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFields {
    pub name: String,
    pub position: i32,
    pub filter: Option<String>,
    pub first_response_minutes: Option<i32>,
    pub resolution_minutes: Option<i32>,
    pub clock: String,
    pub warn_before_minutes: i32,
    pub raise_priority: bool,
    pub escalation_team_id: Option<String>,
}

pub static SORTS: Sorts<Policy> = Sorts {
    default: "position",
    id_column: "sla_policies.id",
    id: |p| &p.id,
    custom: |_| "",
    fields: &[SortField {
        name: "position",
        column: "sla_policies.position",
        kind: SortKind::Number,
        nullable: false,
        value: |p| Some(p.position.to_string()),
    }],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Policy>> {
    Ok(sla_policies::table
        .filter(sla_policies::org_id.eq(scope.org_id()))
        .filter(sla_policies::id.eq(id))
        .select(Policy::as_select())
        .first(conn)
        .optional()?)
}

/// The organization's policies in the order they are tried.
pub fn all(conn: &mut DbConnection, org_id: &str) -> ApiResult<Vec<Policy>> {
    Ok(sla_policies::table
        .filter(sla_policies::org_id.eq(org_id))
        .select(Policy::as_select())
        .order((sla_policies::position.asc(), sla_policies::id.asc()))
        .load(conn)?)
}

pub fn list(conn: &mut DbConnection, scope: &Scope, plan: &ListPlan) -> ApiResult<Vec<Policy>> {
    let mut query = sla_policies::table
        .filter(sla_policies::org_id.eq(scope.org_id().to_string()))
        .select(Policy::as_select())
        .into_boxed();
    let (order, after) = SORTS.keyset::<sla_policies::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

fn columns(f: &PolicyFields) -> Vec<(&'static str, Piece)> {
    use Piece::{BigInt, OptionalBigInt, OptionalText, Text};
    let f = f.clone();
    vec![
        ("name", Text(f.name)),
        ("position", BigInt(i64::from(f.position))),
        ("filter", OptionalText(f.filter)),
        ("first_response_minutes", OptionalBigInt(f.first_response_minutes.map(i64::from))),
        ("resolution_minutes", OptionalBigInt(f.resolution_minutes.map(i64::from))),
        ("clock", Text(f.clock)),
        ("warn_before_minutes", BigInt(i64::from(f.warn_before_minutes))),
        ("raise_priority", BigInt(i64::from(f.raise_priority))),
        ("escalation_team_id", OptionalText(f.escalation_team_id)),
        ("updated_at", Piece::Time(crm_core::time::now())),
    ]
}

pub fn insert(conn: &mut DbConnection, scope: &Scope, id: &str, f: &PolicyFields) -> ApiResult<()> {
    let mut row = vec![("id", Piece::text(id)), ("org_id", Piece::text(scope.org_id()))];
    row.extend(columns(f));
    row.push(("created_at", Piece::Time(crm_core::time::now())));
    crm_core::sql::Statement::new(crm_core::sql::insert_row("sla_policies", row)).execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, f: &PolicyFields) -> ApiResult<()> {
    crm_core::sql::update_record("sla_policies", scope.org_id(), id, columns(f)).execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(sla_policies::table.filter(sla_policies::org_id.eq(scope.org_id())).filter(sla_policies::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// A ticket's SLA columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketSla {
    pub policy_id: Option<String>,
    pub first_response_due_at: Option<NaiveDateTime>,
    pub resolution_due_at: Option<NaiveDateTime>,
    pub paused_at: Option<NaiveDateTime>,
    pub flags: i32,
    pub next_check_at: Option<NaiveDateTime>,
}

/// The columns that store a ticket's SLA (not its version: they follow from the ticket).
pub fn sla_columns(sla: &TicketSla) -> Vec<(&'static str, Piece)> {
    let s = sla.clone();
    vec![
        ("sla_policy_id", Piece::OptionalText(s.policy_id)),
        ("first_response_due_at", Piece::OptionalTime(s.first_response_due_at)),
        ("resolution_due_at", Piece::OptionalTime(s.resolution_due_at)),
        ("sla_paused_at", Piece::OptionalTime(s.paused_at)),
        ("sla_flags", Piece::BigInt(i64::from(s.flags))),
        ("sla_next_check_at", Piece::OptionalTime(s.next_check_at)),
    ]
}

pub fn set_ticket_sla(conn: &mut DbConnection, scope: &Scope, ticket_id: &str, sla: &TicketSla) -> ApiResult<()> {
    crm_core::sql::update_record("tickets", scope.org_id(), ticket_id, sla_columns(sla)).execute(conn)?;
    Ok(())
}

/// Up to `limit` live tickets of the organization with something to announce by `now`, after
/// `after` in id order.
pub fn due(
    conn: &mut DbConnection,
    org_id: &str,
    now: NaiveDateTime,
    after: &str,
    limit: i64,
) -> ApiResult<Vec<String>> {
    Ok(tickets::table
        .filter(tickets::org_id.eq(org_id))
        .filter(tickets::sla_next_check_at.le(now))
        .filter(tickets::deleted_at.is_null())
        .filter(tickets::id.gt(after))
        .select(tickets::id)
        .order(tickets::id.asc())
        .limit(limit)
        .load(conn)?)
}
