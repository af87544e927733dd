//! Product rows, their list prices, and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use diesel::prelude::*;

use crate::schema::{product_prices as prices, products};

pub const RECORD_TYPE: &str = "product";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "prod";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductFields {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
}

/// What products sort by.
pub static SORTS: Sorts<Product> = Sorts {
    default: "created_at",
    id_column: "products.id",
    id: |p| &p.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "products.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |p| Some(crm_core::time::format(&p.created_at)),
        },
        SortField {
            name: "sku",
            column: "products.sku",
            kind: SortKind::Text,
            nullable: false,
            value: |p| Some(p.sku.clone()),
        },
        SortField {
            name: "name",
            column: "products.name",
            kind: SortKind::Text,
            nullable: false,
            value: |p| Some(p.name.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Product>> {
    Ok(products::table
        .filter(products::org_id.eq(scope.org_id()))
        .filter(products::id.eq(id))
        .select(Product::as_select())
        .first(conn)
        .optional()?)
}

/// The products with these ids.
pub fn find_many(conn: &mut DbConnection, scope: &Scope, ids: &[&str]) -> ApiResult<Vec<Product>> {
    Ok(products::table
        .filter(products::org_id.eq(scope.org_id()))
        .filter(products::id.eq_any(ids))
        .select(Product::as_select())
        .load(conn)?)
}

/// The product with this SKU, other than `except`.
pub fn with_sku(conn: &mut DbConnection, scope: &Scope, sku: &str, except: &str) -> ApiResult<Option<String>> {
    Ok(products::table
        .filter(products::org_id.eq(scope.org_id()))
        .filter(products::sku.eq(sku))
        .filter(products::id.ne(except))
        .select(products::id)
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &ProductFields) -> ApiResult<()> {
    let now = crm_core::time::now();
    diesel::insert_into(products::table)
        .values((
            products::id.eq(id),
            products::org_id.eq(scope.org_id()),
            products::sku.eq(&fields.sku),
            products::name.eq(&fields.name),
            products::description.eq(&fields.description),
            products::active.eq(fields.active),
            products::created_at.eq(now),
            products::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &ProductFields) -> ApiResult<()> {
    diesel::update(products::table.filter(products::org_id.eq(scope.org_id())).filter(products::id.eq(id)))
        .set((
            products::sku.eq(&fields.sku),
            products::name.eq(&fields.name),
            products::description.eq(&fields.description),
            products::active.eq(fields.active),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(products::table.filter(products::org_id.eq(scope.org_id())).filter(products::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// (product id, currency, unit price) of these products' list prices.
pub fn prices_of(conn: &mut DbConnection, scope: &Scope, ids: &[&str]) -> ApiResult<Vec<(String, String, i64)>> {
    Ok(prices::table
        .filter(prices::org_id.eq(scope.org_id()))
        .filter(prices::product_id.eq_any(ids))
        .order((prices::product_id.asc(), prices::currency.asc()))
        .select((prices::product_id, prices::currency, prices::unit_price))
        .load(conn)?)
}

/// Replaces a product's list prices: (currency, unit price).
pub fn set_prices(conn: &mut DbConnection, scope: &Scope, id: &str, list: &[(String, i64)]) -> ApiResult<()> {
    diesel::delete(prices::table.filter(prices::org_id.eq(scope.org_id())).filter(prices::product_id.eq(id)))
        .execute(conn)?;
    for (currency, unit_price) in list {
        diesel::insert_into(prices::table)
            .values((
                prices::org_id.eq(scope.org_id()),
                prices::product_id.eq(id),
                prices::currency.eq(currency),
                prices::unit_price.eq(unit_price),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filters {
    pub active: Option<bool>,
    pub sku: Option<String>,
}

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<Product>> {
    let mut query = products::table
        .filter(products::org_id.eq(scope.org_id().to_string()))
        .select(Product::as_select())
        .into_boxed();
    if let Some(active) = filters.active {
        query = query.filter(products::active.eq(active));
    }
    if let Some(sku) = &filters.sku {
        query = query.filter(products::sku.eq(sku.clone()));
    }
    let (order, after) = SORTS.keyset::<products::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
