//! Quote rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::quotes;

pub const RECORD_TYPE: &str = "quote";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "quote";
/// The name of its number sequence, and its numbers' prefix.
pub const SEQUENCE: &str = "quote";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quotes)]
pub struct Quote {
    pub id: String,
    pub number: String,
    pub deal_id: String,
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub price_book_id: Option<String>,
    pub currency: String,
    pub status: String,
    pub valid_until: String,
    pub notes: Option<String>,
    pub rejection_reason: Option<String>,
    pub order_id: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns a quote's write sets (its totals come from its lines).
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteFields {
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub price_book_id: Option<String>,
    pub valid_until: String,
    pub notes: Option<String>,
}

pub static SORTS: Sorts<Quote> = Sorts {
    default: "created_at",
    id_column: "quotes.id",
    id: |q| &q.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "quotes.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |q| Some(crm_core::time::format(&q.created_at)),
        },
        SortField {
            name: "number",
            column: "quotes.number",
            kind: SortKind::Text,
            nullable: false,
            value: |q| Some(q.number.clone()),
        },
        SortField {
            name: "valid_until",
            column: "quotes.valid_until",
            kind: SortKind::Text,
            nullable: false,
            value: |q| Some(q.valid_until.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Quote>> {
    Ok(quotes::table
        .filter(quotes::org_id.eq(scope.org_id()))
        .filter(quotes::id.eq(id))
        .select(Quote::as_select())
        .first(conn)
        .optional()?)
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    number: &str,
    deal_id: &str,
    currency: &str,
    fields: &QuoteFields,
) -> ApiResult<()> {
    let now = crm_core::time::now();
    diesel::insert_into(quotes::table)
        .values((
            quotes::id.eq(id),
            quotes::org_id.eq(scope.org_id()),
            quotes::number.eq(number),
            quotes::deal_id.eq(deal_id),
            quotes::contact_id.eq(&fields.contact_id),
            quotes::company_id.eq(&fields.company_id),
            quotes::price_book_id.eq(&fields.price_book_id),
            quotes::currency.eq(currency),
            quotes::status.eq("draft"),
            quotes::valid_until.eq(&fields.valid_until),
            quotes::notes.eq(&fields.notes),
            quotes::created_at.eq(now),
            quotes::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &QuoteFields) -> ApiResult<()> {
    diesel::update(quotes::table.filter(quotes::org_id.eq(scope.org_id())).filter(quotes::id.eq(id)))
        .set((
            quotes::contact_id.eq(&fields.contact_id),
            quotes::company_id.eq(&fields.company_id),
            quotes::price_book_id.eq(&fields.price_book_id),
            quotes::valid_until.eq(&fields.valid_until),
            quotes::notes.eq(&fields.notes),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves the quote to `status`, with the columns that go with it (`sent_at`, `decided_at`…).
pub fn set_status(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    status: &str,
    also: Vec<(&str, Piece)>,
) -> ApiResult<()> {
    let mut set = vec![("status", Piece::Text(status.to_string()))];
    set.extend(also);
    crm_core::sql::update_record("quotes", scope.org_id(), id, set).execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(quotes::table.filter(quotes::org_id.eq(scope.org_id())).filter(quotes::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Sent quotes of the organization valid until before `today` (`YYYY-MM-DD`), at most `limit`.
pub fn lapsed(conn: &mut DbConnection, org_id: &str, today: &str, limit: i64) -> ApiResult<Vec<String>> {
    Ok(quotes::table
        .filter(quotes::org_id.eq(org_id))
        .filter(quotes::status.eq("sent"))
        .filter(quotes::valid_until.lt(today))
        .select(quotes::id)
        .limit(limit)
        .load(conn)?)
}

#[derive(Debug, Default)]
pub struct Filters {
    pub deal_id: Option<String>,
    pub status: Option<String>,
}

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<Quote>> {
    let mut query =
        quotes::table.filter(quotes::org_id.eq(scope.org_id().to_string())).select(Quote::as_select()).into_boxed();
    if let Some(deal) = &filters.deal_id {
        query = query.filter(quotes::deal_id.eq(deal.clone()));
    }
    if let Some(status) = &filters.status {
        query = query.filter(quotes::status.eq(status.clone()));
    }
    let (order, after) = SORTS.keyset::<quotes::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
