//! The business-hours row: one per organization, its id the organization's.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::business_hours;

pub const RECORD_TYPE: &str = "business_hours";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = business_hours)]
pub struct Hours {
    pub time_zone: String,
    pub week: String,
    pub holidays: String,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

pub fn find(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Option<Hours>> {
    Ok(business_hours::table
        .filter(business_hours::org_id.eq(scope.org_id()))
        .filter(business_hours::id.eq(scope.org_id()))
        .select(Hours::as_select())
        .first(conn)
        .optional()?)
}

/// Makes the organization's row (always open, UTC, version 0) if it has none.
pub fn ensure(conn: &mut DbConnection, scope: &Scope) -> ApiResult<()> {
    let now = crm_core::time::now();
    let org = || Piece::Text(scope.org_id().to_string());
    let mut pieces = crm_core::sql::insert_row(
        "business_hours",
        vec![
            ("id", org()),
            ("org_id", org()),
            ("time_zone", Piece::text("UTC")),
            ("week", Piece::text("{}")),
            ("holidays", Piece::text("[]")),
            // Version 0, as `GET` showed it before: the first `PUT` makes it 1.
            ("version", Piece::BigInt(0)),
            ("created_at", Piece::Time(now)),
            ("updated_at", Piece::Time(now)),
        ],
    );
    pieces.push(Piece::Sql(" ON CONFLICT (org_id, id) DO NOTHING".into()));
    Statement::new(pieces).execute(conn)?;
    Ok(())
}

pub fn set(conn: &mut DbConnection, scope: &Scope, time_zone: &str, week: &str, holidays: &str) -> ApiResult<()> {
    let set = vec![
        ("time_zone", Piece::text(time_zone)),
        ("week", Piece::text(week)),
        ("holidays", Piece::text(holidays)),
        ("updated_at", Piece::Time(crm_core::time::now())),
    ];
    crm_core::sql::update_record("business_hours", scope.org_id(), scope.org_id(), set).execute(conn)?;
    Ok(())
}
