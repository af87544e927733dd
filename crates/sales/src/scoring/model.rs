//! Scoring-rule rows, and the two questions a rule asks of a lead.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::{lead_scoring_rules as rules, leads};

pub const RECORD_TYPE: &str = "lead_scoring_rule";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "lsr";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rules)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub filter: Option<String>,
    pub activity_kind: Option<String>,
    pub window_days: Option<i32>,
    pub min_count: Option<i32>,
    pub points: i32,
    pub decay_days: Option<i32>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleFields {
    pub name: String,
    pub kind: String,
    pub filter: Option<String>,
    pub activity_kind: Option<String>,
    pub window_days: Option<i32>,
    pub min_count: Option<i32>,
    pub points: i32,
    pub decay_days: Option<i32>,
    pub active: bool,
}

pub static SORTS: Sorts<Rule> = Sorts {
    default: "created_at",
    id_column: "lead_scoring_rules.id",
    id: |r| &r.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "lead_scoring_rules.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |r| Some(crm_core::time::format(&r.created_at)),
    }],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Rule>> {
    Ok(rules::table
        .filter(rules::org_id.eq(scope.org_id()))
        .filter(rules::id.eq(id))
        .select(Rule::as_select())
        .first(conn)
        .optional()?)
}

/// The organization's active rules, oldest first (at most a few hundred).
pub fn active(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Vec<Rule>> {
    Ok(rules::table
        .filter(rules::org_id.eq(scope.org_id()))
        .filter(rules::active.eq(true))
        .order((rules::created_at.asc(), rules::id.asc()))
        .select(Rule::as_select())
        .load(conn)?)
}

pub fn save(conn: &mut DbConnection, scope: &Scope, id: &str, f: &RuleFields, exists: bool) -> ApiResult<()> {
    if exists {
        diesel::update(rules::table.filter(rules::org_id.eq(scope.org_id())).filter(rules::id.eq(id)))
            .set((
                rules::name.eq(&f.name),
                rules::kind.eq(&f.kind),
                rules::filter.eq(&f.filter),
                rules::activity_kind.eq(&f.activity_kind),
                rules::window_days.eq(f.window_days),
                rules::min_count.eq(f.min_count),
                rules::points.eq(f.points),
                rules::decay_days.eq(f.decay_days),
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
                rules::kind.eq(&f.kind),
                rules::filter.eq(&f.filter),
                rules::activity_kind.eq(&f.activity_kind),
                rules::window_days.eq(f.window_days),
                rules::min_count.eq(f.min_count),
                rules::points.eq(f.points),
                rules::decay_days.eq(f.decay_days),
                rules::active.eq(f.active),
                rules::created_at.eq(now),
                rules::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
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

#[derive(Debug, QueryableByName)]
pub struct ActivityCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub count: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    pub latest: Option<NaiveDateTime>,
}

/// Live activities about the lead (of a kind, or any) that occurred since `since`: how many,
/// and the latest.
pub fn activities(
    conn: &mut DbConnection,
    scope: &Scope,
    lead_id: &str,
    kind: Option<&str>,
    since: NaiveDateTime,
) -> ApiResult<ActivityCount> {
    let text = |s: &str| Piece::Text(s.to_string());
    let sql = |s: &str| Piece::Sql(s.to_string());
    let mut pieces = vec![
        sql("SELECT COUNT(*) AS count, MAX(a.occurred_at) AS latest FROM activity_links l \
             JOIN activities a ON a.org_id = l.org_id AND a.id = l.activity_id \
             WHERE l.org_id = "),
        text(scope.org_id()),
        sql(" AND l.record_type = 'lead' AND l.record_id = "),
        text(lead_id),
        sql(" AND a.deleted_at IS NULL AND a.occurred_at >= "),
        Piece::Time(since),
    ];
    if let Some(kind) = kind {
        pieces.extend([sql(" AND a.kind = "), text(kind)]);
    }
    Ok(Statement::uncached(pieces).get_result(conn)?)
}

/// Stores a lead's score (a derived figure: no version, no event).
pub fn set_score(conn: &mut DbConnection, scope: &Scope, lead_id: &str, score: i32) -> ApiResult<()> {
    diesel::update(leads::table.filter(leads::org_id.eq(scope.org_id())).filter(leads::id.eq(lead_id)))
        .filter(leads::score.ne(score))
        .set(leads::score.eq(score))
        .execute(conn)?;
    Ok(())
}

/// Ids of the organization's live leads not converted, after `after`, `limit` at a time.
pub fn lead_ids(conn: &mut DbConnection, org_id: &str, after: &str, limit: i64) -> ApiResult<Vec<String>> {
    Ok(leads::table
        .filter(leads::org_id.eq(org_id))
        .filter(leads::deleted_at.is_null())
        .filter(leads::status.ne("converted"))
        .filter(leads::id.gt(after))
        .order(leads::id.asc())
        .select(leads::id)
        .limit(limit)
        .load(conn)?)
}
