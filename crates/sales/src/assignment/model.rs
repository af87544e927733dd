//! Assignment-rule rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use diesel::prelude::*;

use crate::schema::{assignment_rules as rules, leads};

pub const RECORD_TYPE: &str = "assignment_rule";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "asr";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rules)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub method: String,
    pub team_id: String,
    pub filter: Option<String>,
    pub priority: i32,
    pub active: bool,
    pub last_user_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleFields {
    pub name: String,
    pub method: String,
    pub team_id: String,
    pub filter: Option<String>,
    pub priority: i32,
    pub active: bool,
}

pub static SORTS: Sorts<Rule> = Sorts {
    default: "priority",
    id_column: "assignment_rules.id",
    id: |r| &r.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "priority",
            column: "assignment_rules.priority",
            kind: SortKind::Number,
            nullable: false,
            value: |r| Some(f64::from(r.priority).to_string()),
        },
        SortField {
            name: "created_at",
            column: "assignment_rules.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |r| Some(crm_core::time::format(&r.created_at)),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Rule>> {
    Ok(rules::table
        .filter(rules::org_id.eq(scope.org_id()))
        .filter(rules::id.eq(id))
        .select(Rule::as_select())
        .first(conn)
        .optional()?)
}

/// The organization's active rules in the order they are tried (priority, then age).
pub fn active(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Vec<Rule>> {
    Ok(rules::table
        .filter(rules::org_id.eq(scope.org_id()))
        .filter(rules::active.eq(true))
        .order((rules::priority.asc(), rules::created_at.asc(), rules::id.asc()))
        .select(Rule::as_select())
        .load(conn)?)
}

pub fn save(conn: &mut DbConnection, scope: &Scope, id: &str, f: &RuleFields, exists: bool) -> ApiResult<()> {
    if exists {
        diesel::update(rules::table.filter(rules::org_id.eq(scope.org_id())).filter(rules::id.eq(id)))
            .set((
                rules::name.eq(&f.name),
                rules::method.eq(&f.method),
                rules::team_id.eq(&f.team_id),
                rules::filter.eq(&f.filter),
                rules::priority.eq(f.priority),
                rules::active.eq(f.active),
            ))
            .execute(conn)?;
    } else {
        let now = crm_core::time::now();
        diesel::insert_into(rules::table)
            .values((
                rules::id.eq(id),
                rules::org_id.eq(scope.org_id()),
                rules::name.eq(&f.name),
                rules::method.eq(&f.method),
                rules::team_id.eq(&f.team_id),
                rules::filter.eq(&f.filter),
                rules::priority.eq(f.priority),
                rules::active.eq(f.active),
                rules::created_at.eq(now),
                rules::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Remembers who a round-robin rule gave its last lead to (its row is locked by the caller).
pub fn set_last_user(conn: &mut DbConnection, scope: &Scope, id: &str, user_id: &str) -> ApiResult<()> {
    diesel::update(rules::table.filter(rules::org_id.eq(scope.org_id())).filter(rules::id.eq(id)))
        .set(rules::last_user_id.eq(user_id))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(rules::table.filter(rules::org_id.eq(scope.org_id())).filter(rules::id.eq(id))).execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConnection, scope: &Scope, plan: &ListPlan) -> ApiResult<Vec<Rule>> {
    let mut query =
        rules::table.filter(rules::org_id.eq(scope.org_id().to_string())).select(Rule::as_select()).into_boxed();
    let (order, after) = SORTS.keyset::<rules::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Each user's open leads (not converted, not disqualified, live), for the least-loaded pick.
pub fn open_leads(conn: &mut DbConnection, scope: &Scope, user_ids: &[&str]) -> ApiResult<Vec<(Option<String>, i64)>> {
    Ok(leads::table
        .filter(leads::org_id.eq(scope.org_id()))
        .filter(leads::owner_id.eq_any(user_ids))
        .filter(leads::deleted_at.is_null())
        .filter(leads::status.ne_all(["converted", "disqualified"]))
        .group_by(leads::owner_id)
        .select((leads::owner_id, diesel::dsl::count_star()))
        .load(conn)?)
}
