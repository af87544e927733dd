//! Quota rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use diesel::prelude::*;

use crate::schema::quotas;

pub const RECORD_TYPE: &str = "quota";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "quota";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quotas)]
pub struct Quota {
    pub id: String,
    pub user_id: String,
    pub period: String,
    pub amount: i64,
    pub currency: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub static SORTS: Sorts<Quota> = Sorts {
    default: "created_at",
    id_column: "quotas.id",
    id: |q| &q.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "created_at",
            column: "quotas.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |q| Some(crm_core::time::format(&q.created_at)),
        },
        SortField {
            name: "period",
            column: "quotas.period",
            kind: SortKind::Text,
            nullable: false,
            value: |q| Some(q.period.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Quota>> {
    Ok(quotas::table
        .filter(quotas::org_id.eq(scope.org_id()))
        .filter(quotas::id.eq(id))
        .select(Quota::as_select())
        .first(conn)
        .optional()?)
}

/// The user's quota for the period, other than `except`.
pub fn holder(
    conn: &mut DbConnection,
    scope: &Scope,
    user_id: &str,
    period: &str,
    except: &str,
) -> ApiResult<Option<String>> {
    Ok(quotas::table
        .filter(quotas::org_id.eq(scope.org_id()))
        .filter(quotas::user_id.eq(user_id))
        .filter(quotas::period.eq(period))
        .filter(quotas::id.ne(except))
        .select(quotas::id)
        .first(conn)
        .optional()?)
}

pub fn insert(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    user_id: &str,
    period: &str,
    amount: i64,
    currency: &str,
) -> ApiResult<()> {
    let now = crm_core::time::now();
    diesel::insert_into(quotas::table)
        .values((
            quotas::id.eq(id),
            quotas::org_id.eq(scope.org_id()),
            quotas::user_id.eq(user_id),
            quotas::period.eq(period),
            quotas::amount.eq(amount),
            quotas::currency.eq(currency),
            quotas::created_at.eq(now),
            quotas::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_amount(conn: &mut DbConnection, scope: &Scope, id: &str, amount: i64, currency: &str) -> ApiResult<()> {
    diesel::update(quotas::table.filter(quotas::org_id.eq(scope.org_id())).filter(quotas::id.eq(id)))
        .set((quotas::amount.eq(amount), quotas::currency.eq(currency)))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(quotas::table.filter(quotas::org_id.eq(scope.org_id())).filter(quotas::id.eq(id))).execute(conn)?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filters {
    pub user_id: Option<String>,
    pub period: Option<String>,
}

pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<Quota>> {
    let mut query =
        quotas::table.filter(quotas::org_id.eq(scope.org_id().to_string())).select(Quota::as_select()).into_boxed();
    if let Some(user) = &filters.user_id {
        query = query.filter(quotas::user_id.eq(user.clone()));
    }
    if let Some(period) = &filters.period {
        query = query.filter(quotas::period.eq(period.clone()));
    }
    let (order, after) = SORTS.keyset::<quotas::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
