//! Price-book rows, their entries, and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use diesel::prelude::*;

use crate::schema::{price_book_entries as entries, price_books};

pub const RECORD_TYPE: &str = "price_book";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "pb";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = price_books)]
pub struct PriceBook {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One price of a book: (product id, currency, unit price).
pub type Entry = (String, String, i64);

pub static SORTS: Sorts<PriceBook> = Sorts {
    default: "created_at",
    id_column: "price_books.id",
    id: |b| &b.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "price_books.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |b| Some(crm_core::time::format(&b.created_at)),
        },
        SortField {
            name: "name",
            column: "price_books.name",
            kind: SortKind::Text,
            nullable: false,
            value: |b| Some(b.name.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<PriceBook>> {
    Ok(price_books::table
        .filter(price_books::org_id.eq(scope.org_id()))
        .filter(price_books::id.eq(id))
        .select(PriceBook::as_select())
        .first(conn)
        .optional()?)
}

pub fn named(conn: &mut DbConnection, scope: &Scope, name: &str, except: &str) -> ApiResult<Option<String>> {
    Ok(price_books::table
        .filter(price_books::org_id.eq(scope.org_id()))
        .filter(price_books::name.eq(name))
        .filter(price_books::id.ne(except))
        .select(price_books::id)
        .first(conn)
        .optional()?)
}

pub fn save(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    name: &str,
    description: Option<&str>,
    active: bool,
    exists: bool,
) -> ApiResult<()> {
    if exists {
        diesel::update(
            price_books::table.filter(price_books::org_id.eq(scope.org_id())).filter(price_books::id.eq(id)),
        )
        .set((price_books::name.eq(name), price_books::description.eq(description), price_books::active.eq(active)))
        .execute(conn)?;
    } else {
        let now = crm_core::time::now();
        diesel::insert_into(price_books::table)
            .values((
                price_books::id.eq(id),
                price_books::org_id.eq(scope.org_id()),
                price_books::name.eq(name),
                price_books::description.eq(description),
                price_books::active.eq(active),
                price_books::created_at.eq(now),
                price_books::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(price_books::table.filter(price_books::org_id.eq(scope.org_id())).filter(price_books::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// The entries of these books: (book id, entry).
pub fn entries_of(conn: &mut DbConnection, scope: &Scope, ids: &[&str]) -> ApiResult<Vec<(String, Entry)>> {
    let rows: Vec<(String, String, String, i64)> = entries::table
        .filter(entries::org_id.eq(scope.org_id()))
        .filter(entries::price_book_id.eq_any(ids))
        .order((entries::price_book_id.asc(), entries::product_id.asc(), entries::currency.asc()))
        .select((entries::price_book_id, entries::product_id, entries::currency, entries::unit_price))
        .load(conn)?;
    Ok(rows.into_iter().map(|(book, product, currency, price)| (book, (product, currency, price))).collect())
}

pub fn set_entries(conn: &mut DbConnection, scope: &Scope, id: &str, list: &[Entry]) -> ApiResult<()> {
    diesel::delete(entries::table.filter(entries::org_id.eq(scope.org_id())).filter(entries::price_book_id.eq(id)))
        .execute(conn)?;
    for (product, currency, price) in list {
        diesel::insert_into(entries::table)
            .values((
                entries::org_id.eq(scope.org_id()),
                entries::price_book_id.eq(id),
                entries::product_id.eq(product),
                entries::currency.eq(currency),
                entries::unit_price.eq(price),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The book's price of a product in a currency.
pub fn price(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    product: &str,
    currency: &str,
) -> ApiResult<Option<i64>> {
    Ok(entries::table
        .filter(entries::org_id.eq(scope.org_id()))
        .filter(entries::price_book_id.eq(id))
        .filter(entries::product_id.eq(product))
        .filter(entries::currency.eq(currency))
        .select(entries::unit_price)
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection, scope: &Scope, plan: &ListPlan) -> ApiResult<Vec<PriceBook>> {
    let mut query = price_books::table
        .filter(price_books::org_id.eq(scope.org_id().to_string()))
        .select(PriceBook::as_select())
        .into_boxed();
    let (order, after) = SORTS.keyset::<price_books::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
