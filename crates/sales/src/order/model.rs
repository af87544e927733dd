//! Order rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::orders;

pub const RECORD_TYPE: &str = "order";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "ord";
/// The name of its number sequence.
pub const SEQUENCE: &str = "order";

pub const STATUSES: &[&str] =
    &["pending", "confirmed", "paid", "fulfilled", "partially_refunded", "refunded", "cancelled"];
/// Orders whose lines no longer count as revenue.
pub const VOID: &[&str] = &["refunded", "cancelled"];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: String,
    pub number: String,
    pub quote_id: Option<String>,
    pub deal_id: Option<String>,
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub currency: String,
    pub status: String,
    pub placed_at: NaiveDateTime,
    pub external_ids: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderFields {
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub deal_id: Option<String>,
    pub status: String,
    pub placed_at: NaiveDateTime,
}

pub static SORTS: Sorts<Order> = Sorts {
    default: "created_at",
    id_column: "orders.id",
    id: |o| &o.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "orders.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |o| Some(crm_core::time::format(&o.created_at)),
        },
        SortField {
            name: "placed_at",
            column: "orders.placed_at",
            kind: SortKind::Time,
            nullable: false,
            value: |o| Some(crm_core::time::format(&o.placed_at)),
        },
        SortField {
            name: "number",
            column: "orders.number",
            kind: SortKind::Text,
            nullable: false,
            value: |o| Some(o.number.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Order>> {
    Ok(orders::table
        .filter(orders::org_id.eq(scope.org_id()))
        .filter(orders::id.eq(id))
        .select(Order::as_select())
        .first(conn)
        .optional()?)
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    number: &str,
    quote_id: Option<&str>,
    currency: &str,
    fields: &OrderFields,
    external_ids: &str,
) -> ApiResult<()> {
    let now = crm_core::time::now();
    diesel::insert_into(orders::table)
        .values((
            orders::id.eq(id),
            orders::org_id.eq(scope.org_id()),
            orders::number.eq(number),
            orders::quote_id.eq(quote_id),
            orders::deal_id.eq(&fields.deal_id),
            orders::contact_id.eq(&fields.contact_id),
            orders::company_id.eq(&fields.company_id),
            orders::currency.eq(currency),
            orders::status.eq(&fields.status),
            orders::placed_at.eq(fields.placed_at),
            orders::external_ids.eq(external_ids),
            orders::created_at.eq(now),
            orders::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    fields: &OrderFields,
    external_ids: &str,
) -> ApiResult<()> {
    diesel::update(orders::table.filter(orders::org_id.eq(scope.org_id())).filter(orders::id.eq(id)))
        .set((
            orders::deal_id.eq(&fields.deal_id),
            orders::contact_id.eq(&fields.contact_id),
            orders::company_id.eq(&fields.company_id),
            orders::status.eq(&fields.status),
            orders::placed_at.eq(fields.placed_at),
            orders::external_ids.eq(external_ids),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filters {
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub deal_id: Option<String>,
    pub status: Option<String>,
}

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<Order>> {
    let mut query =
        orders::table.filter(orders::org_id.eq(scope.org_id().to_string())).select(Order::as_select()).into_boxed();
    if let Some(v) = &filters.contact_id {
        query = query.filter(orders::contact_id.eq(v.clone()));
    }
    if let Some(v) = &filters.company_id {
        query = query.filter(orders::company_id.eq(v.clone()));
    }
    if let Some(v) = &filters.deal_id {
        query = query.filter(orders::deal_id.eq(v.clone()));
    }
    if let Some(v) = &filters.status {
        query = query.filter(orders::status.eq(v.clone()));
    }
    let (order, after) = SORTS.keyset::<orders::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// A customer's orders in one currency: how many, their revenue (lines of orders neither
/// refunded nor cancelled), the first and last placed.
#[derive(Debug, QueryableByName)]
pub struct Purchases {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub currency: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub orders: i64,
    /// The orders that count as revenue.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub counted: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub revenue: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub first_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub last_at: NaiveDateTime,
}

/// The purchases of a contact or company (`column`: `contact_id` or `company_id`, a constant),
/// by currency.
pub fn purchases(conn: &mut DbConnection, scope: &Scope, column: &'static str, id: &str) -> ApiResult<Vec<Purchases>> {
    let void = VOID.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let sql = |s: String| Piece::Sql(s);
    Ok(Statement::new(vec![
        sql(format!(
            "SELECT o.currency AS currency, COUNT(*) AS orders, \
             CAST(SUM(CASE WHEN o.status IN ({void}) THEN 0 ELSE 1 END) AS BIGINT) AS counted, \
             CAST(SUM(CASE WHEN o.status IN ({void}) THEN 0 ELSE \
               (SELECT COALESCE(SUM(l.total), 0) FROM line_items l WHERE l.org_id = o.org_id \
                AND l.record_type = 'order' AND l.record_id = o.id) END) AS BIGINT) AS revenue, \
             MIN(o.placed_at) AS first_at, MAX(o.placed_at) AS last_at \
             FROM orders o WHERE o.org_id = "
        )),
        Piece::Text(scope.org_id().to_string()),
        sql(format!(" AND o.{column} = ")),
        Piece::Text(id.to_string()),
        sql(" GROUP BY o.currency ORDER BY o.currency".into()),
    ])
    .load(conn)?)
}
