//! Line-item rows: each belongs to one deal, quote or order (`record_type`, `record_id`).

use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::line_items;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = line_items)]
pub struct LineItem {
    pub record_id: String,
    pub position: i32,
    pub product_id: Option<String>,
    pub sku: Option<String>,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price: i64,
    pub discount_bp: i32,
    pub tax_bp: i32,
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
}

/// The lines of these records of a type, in order.
pub fn of(conn: &mut DbConnection, scope: &Scope, record_type: &str, ids: &[&str]) -> ApiResult<Vec<LineItem>> {
    Ok(line_items::table
        .filter(line_items::org_id.eq(scope.org_id()))
        .filter(line_items::record_type.eq(record_type))
        .filter(line_items::record_id.eq_any(ids))
        .order((line_items::record_id.asc(), line_items::position.asc()))
        .select(LineItem::as_select())
        .load(conn)?)
}

/// The `INSERT` of a record's lines (none for none).
pub fn rows(scope: &Scope, record_type: &str, lines: &[LineItem]) -> Option<Vec<Piece>> {
    let text = Piece::text;
    let rows = lines
        .iter()
        .map(|l| {
            vec![
                text(scope.org_id()),
                text(record_type),
                text(&l.record_id),
                Piece::BigInt(i64::from(l.position)),
                Piece::OptionalText(l.product_id.clone()),
                Piece::OptionalText(l.sku.clone()),
                text(&l.description),
                Piece::BigInt(l.quantity_milli),
                Piece::BigInt(l.unit_price),
                Piece::BigInt(i64::from(l.discount_bp)),
                Piece::BigInt(i64::from(l.tax_bp)),
                Piece::BigInt(l.subtotal),
                Piece::BigInt(l.discount),
                Piece::BigInt(l.tax),
                Piece::BigInt(l.total),
            ]
        })
        .collect();
    let columns = [
        "org_id",
        "record_type",
        "record_id",
        "position",
        "product_id",
        "sku",
        "description",
        "quantity_milli",
        "unit_price",
        "discount_bp",
        "tax_bp",
        "subtotal",
        "discount",
        "tax",
        "total",
    ];
    crm_core::sql::insert_values("line_items", &columns, rows)
}

/// Replaces a record's lines.
pub fn replace(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &str,
    id: &str,
    lines: &[LineItem],
) -> ApiResult<()> {
    diesel::delete(
        line_items::table
            .filter(line_items::org_id.eq(scope.org_id()))
            .filter(line_items::record_type.eq(record_type))
            .filter(line_items::record_id.eq(id)),
    )
    .execute(conn)?;
    if let Some(insert) = rows(scope, record_type, lines) {
        crm_core::sql::Statement::uncached(insert).execute(conn)?;
    }
    Ok(())
}

/// Whether the record has lines.
pub fn any_of(conn: &mut DbConnection, scope: &Scope, record_type: &str, id: &str) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        line_items::table
            .filter(line_items::org_id.eq(scope.org_id()))
            .filter(line_items::record_type.eq(record_type))
            .filter(line_items::record_id.eq(id)),
    ))
    .get_result(conn)?)
}

/// Whether any line names the product.
pub fn product_used(conn: &mut DbConnection, scope: &Scope, product_id: &str) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        line_items::table.filter(line_items::org_id.eq(scope.org_id())).filter(line_items::product_id.eq(product_id)),
    ))
    .get_result(conn)?)
}
