//! Ticket routing rows, one per team that has one; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::{ticket_routing, tickets};

pub const RECORD_TYPE: &str = "ticket_routing";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_routing)]
pub struct Routing {
    pub team_id: String,
    pub method: String,
    pub last_user_id: Option<String>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, scope: &Scope, team_id: &str) -> ApiResult<Option<Routing>> {
    Ok(ticket_routing::table
        .filter(ticket_routing::org_id.eq(scope.org_id()))
        .filter(ticket_routing::team_id.eq(team_id))
        .select(Routing::as_select())
        .first(conn)
        .optional()?)
}

/// Sets the team's method (its turn kept), inserting its row when it has none; returns the
/// version it had (0: none).
pub fn set(conn: &mut DbConnection, scope: &Scope, team_id: &str, method: &str) -> ApiResult<()> {
    let now = crm_core::time::now();
    let mut pieces = crm_core::sql::insert_row(
        "ticket_routing",
        vec![
            ("org_id", Piece::text(scope.org_id())),
            ("team_id", Piece::text(team_id)),
            ("method", Piece::text(method)),
            ("created_at", Piece::Time(now)),
            ("updated_at", Piece::Time(now)),
        ],
    );
    pieces.push(Piece::Sql(
        " ON CONFLICT (org_id, team_id) DO UPDATE SET method = excluded.method, updated_at = excluded.updated_at, \
         version = ticket_routing.version + 1"
            .into(),
    ));
    Statement::new(pieces).execute(conn)?;
    Ok(())
}

pub fn set_last_user(conn: &mut DbConnection, scope: &Scope, team_id: &str, user_id: &str) -> ApiResult<()> {
    diesel::update(
        ticket_routing::table
            .filter(ticket_routing::org_id.eq(scope.org_id()))
            .filter(ticket_routing::team_id.eq(team_id)),
    )
    .set(ticket_routing::last_user_id.eq(user_id))
    .execute(conn)?;
    Ok(())
}

/// Each user's unsolved live tickets, for the least-open pick.
pub fn open_tickets(
    conn: &mut DbConnection,
    scope: &Scope,
    user_ids: &[&str],
) -> ApiResult<Vec<(Option<String>, i64)>> {
    Ok(tickets::table
        .filter(tickets::org_id.eq(scope.org_id()))
        .filter(tickets::assignee_id.eq_any(user_ids))
        .filter(tickets::deleted_at.is_null())
        .filter(tickets::status.ne_all(["solved", "closed"]))
        .group_by(tickets::assignee_id)
        .select((tickets::assignee_id, diesel::dsl::count_star()))
        .load(conn)?)
}
