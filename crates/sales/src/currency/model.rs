//! The currency settings row and the rates; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::{currency_rates as rates, currency_settings as settings};

pub const RECORD_TYPE: &str = "currency_rates";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = settings)]
pub struct Settings {
    pub base_currency: String,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Option<Settings>> {
    Ok(settings::table
        .filter(settings::org_id.eq(scope.org_id()))
        .filter(settings::id.eq(scope.org_id()))
        .select(Settings::as_select())
        .first(conn)
        .optional()?)
}

/// The organization's settings row, made with `base` when it has none (version 1): whether
/// it was made.
pub fn ensure(conn: &mut DbConnection, scope: &Scope, base: &str) -> ApiResult<bool> {
    let now = crm_core::time::now();
    let mut pieces = crm_core::sql::insert_row(
        "currency_settings",
        vec![
            ("id", Piece::Text(scope.org_id().to_string())),
            ("org_id", Piece::Text(scope.org_id().to_string())),
            ("base_currency", Piece::Text(base.to_string())),
            ("created_at", Piece::Time(now)),
            ("updated_at", Piece::Time(now)),
        ],
    );
    pieces.push(Piece::Sql(" ON CONFLICT (org_id, id) DO NOTHING".into()));
    Ok(crm_core::sql::Statement::new(pieces).execute(conn)? == 1)
}

pub fn set_base(conn: &mut DbConnection, scope: &Scope, base: &str) -> ApiResult<()> {
    diesel::update(settings::table.filter(settings::org_id.eq(scope.org_id())).filter(settings::id.eq(scope.org_id())))
        .set(settings::base_currency.eq(base))
        .execute(conn)?;
    Ok(())
}

/// (currency, rate in billionths of the base currency per unit), by currency.
pub fn all(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Vec<(String, i64)>> {
    Ok(rates::table
        .filter(rates::org_id.eq(scope.org_id()))
        .order(rates::currency.asc())
        .select((rates::currency, rates::rate))
        .load(conn)?)
}

pub fn replace(conn: &mut DbConnection, scope: &Scope, list: &[(String, i64)]) -> ApiResult<()> {
    diesel::delete(rates::table.filter(rates::org_id.eq(scope.org_id()))).execute(conn)?;
    for (currency, rate) in list {
        diesel::insert_into(rates::table)
            .values((rates::org_id.eq(scope.org_id()), rates::currency.eq(currency), rates::rate.eq(rate)))
            .execute(conn)?;
    }
    Ok(())
}
