//! Activity rows, their links, and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::schema::{activities, activity_links as links};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

pub const RECORD_TYPE: &str = "activity";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "act";

/// Whose an activity is, for record visibility: its assignee, or whoever logged it.
pub const OWNER: &str = "COALESCE(activities.assignee_id, activities.created_by)";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = activities)]
pub struct Activity {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub due_at: Option<NaiveDateTime>,
    pub status: Option<String>,
    pub assignee_id: Option<String>,
    pub direction: Option<String>,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub attendees: String,
    pub message_id: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityFields {
    pub kind: String,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub due_at: Option<NaiveDateTime>,
    pub status: Option<String>,
    pub assignee_id: Option<String>,
    pub direction: Option<String>,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub attendees: String,
    pub message_id: Option<String>,
}

/// A record an activity is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub record_type: String,
    pub record_id: String,
}

#[derive(Debug, Default)]
pub struct Filters {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub assignee_id: Option<String>,
    /// Activities about every one of these records.
    pub about: Vec<Target>,
}

/// A live activity in the scope's sight.
pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Activity>> {
    let query = activities::table
        .filter(activities::org_id.eq(scope.org_id()))
        .filter(activities::id.eq(id))
        .filter(activities::deleted_at.is_null())
        .select(Activity::as_select());
    // Unrestricted, it stays a static query, which diesel prepares once and looks up by type.
    Ok(match scope.visible(RECORD_TYPE, OWNER) {
        None => query.first(conn).optional()?,
        Some(visible) => query.filter(visible).first(conn).optional()?,
    })
}

/// The row's columns but the id, organization, author, times and version.
fn columns(fields: &ActivityFields) -> Vec<(&'static str, Piece)> {
    use Piece::{OptionalBigInt, OptionalText, OptionalTime, Text, Time};
    let f = fields.clone();
    vec![
        ("kind", Text(f.kind)),
        ("subject", OptionalText(f.subject)),
        ("body", OptionalText(f.body)),
        ("occurred_at", Time(f.occurred_at)),
        ("due_at", OptionalTime(f.due_at)),
        ("status", OptionalText(f.status)),
        ("assignee_id", OptionalText(f.assignee_id)),
        ("direction", OptionalText(f.direction)),
        ("duration_seconds", OptionalBigInt(f.duration_seconds)),
        ("outcome", OptionalText(f.outcome)),
        ("starts_at", OptionalTime(f.starts_at)),
        ("ends_at", OptionalTime(f.ends_at)),
        ("attendees", Text(f.attendees)),
        ("message_id", OptionalText(f.message_id)),
    ]
}

/// The `INSERT` of a new activity's row, version 1, created and updated `now`.
pub fn insert(scope: &Scope, id: &str, created_by: &str, fields: &ActivityFields, now: NaiveDateTime) -> Vec<Piece> {
    let text = Piece::text;
    let mut row = vec![("id", text(id)), ("org_id", text(scope.org_id())), ("created_by", text(created_by))];
    row.extend(columns(fields));
    row.extend([("created_at", Piece::Time(now)), ("updated_at", Piece::Time(now)), ("version", Piece::BigInt(1))]);
    crm_core::sql::insert_row("activities", row)
}

/// The row a new activity's `insert` writes, as stored.
pub fn inserted(scope: &Scope, id: &str, created_by: &str, fields: ActivityFields, now: NaiveDateTime) -> Activity {
    let f = fields;
    Activity {
        id: id.to_string(),
        org_id: scope.org_id().to_string(),
        kind: f.kind,
        subject: f.subject,
        body: f.body,
        occurred_at: f.occurred_at,
        due_at: f.due_at,
        status: f.status,
        assignee_id: f.assignee_id,
        direction: f.direction,
        duration_seconds: f.duration_seconds,
        outcome: f.outcome,
        starts_at: f.starts_at,
        ends_at: f.ends_at,
        attendees: f.attendees,
        message_id: f.message_id,
        created_by: created_by.to_string(),
        created_at: now,
        updated_at: now,
        deleted_at: None,
        version: 1,
    }
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &ActivityFields) -> ApiResult<()> {
    let mut set = columns(fields);
    set.push(("updated_at", Piece::Time(crm_core::time::now())));
    crm_core::sql::update_record("activities", scope.org_id(), id, set).execute(conn)?;
    Ok(())
}

pub fn targets(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Vec<Target>> {
    let org_id = scope.org_id();
    let rows: Vec<(String, String)> = links::table
        .filter(links::org_id.eq(org_id))
        .filter(links::activity_id.eq(id))
        .order((links::record_type.asc(), links::record_id.asc()))
        .select((links::record_type, links::record_id))
        .load(conn)?;
    Ok(rows.into_iter().map(|(record_type, record_id)| Target { record_type, record_id }).collect())
}

/// The targets of several activities at once (one query for a page).
pub fn targets_of(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: &[String],
) -> ApiResult<std::collections::HashMap<String, Vec<Target>>> {
    let org_id = scope.org_id();
    let rows: Vec<(String, String, String)> = links::table
        .filter(links::org_id.eq(org_id))
        .filter(links::activity_id.eq_any(ids))
        .order((links::record_type.asc(), links::record_id.asc()))
        .select((links::activity_id, links::record_type, links::record_id))
        .load(conn)?;
    let mut out: std::collections::HashMap<String, Vec<Target>> = std::collections::HashMap::new();
    for (activity_id, record_type, record_id) in rows {
        out.entry(activity_id).or_default().push(Target { record_type, record_id });
    }
    Ok(out)
}

pub fn set_targets(conn: &mut DbConnection, scope: &Scope, id: &str, targets: &[Target]) -> ApiResult<()> {
    diesel::delete(links::table.filter(links::org_id.eq(scope.org_id())).filter(links::activity_id.eq(id)))
        .execute(conn)?;
    if let Some(insert) = target_rows(scope, id, targets) {
        crm_core::sql::Statement::new(insert).execute(conn)?;
    }
    Ok(())
}

/// Makes every activity about `from` about `to` as well (a converted lead's activities follow
/// the contact it became), in one statement: how many links it added.
pub fn carry_over(conn: &mut DbConnection, scope: &Scope, from: &Target, to: &Target) -> ApiResult<usize> {
    let text = Piece::text;
    let sql = |s: &str| Piece::Sql(s.to_string());
    Ok(crm_core::sql::Statement::new(vec![
        sql("INSERT INTO activity_links (org_id, activity_id, record_type, record_id) SELECT org_id, activity_id, "),
        text(&to.record_type),
        sql(", "),
        text(&to.record_id),
        sql(" FROM activity_links WHERE org_id = "),
        text(scope.org_id()),
        sql(" AND record_type = "),
        text(&from.record_type),
        sql(" AND record_id = "),
        text(&from.record_id),
        sql(" ON CONFLICT DO NOTHING"),
    ])
    .execute(conn)?)
}

/// The `INSERT` of a new activity's links (none for none), to go with its row.
pub fn target_rows(scope: &Scope, id: &str, targets: &[Target]) -> Option<Vec<Piece>> {
    let text = Piece::text;
    let rows = targets.iter().map(|t| vec![text(scope.org_id()), text(id), text(&t.record_type), text(&t.record_id)]);
    let columns = ["org_id", "activity_id", "record_type", "record_id"];
    crm_core::sql::insert_values("activity_links", &columns, rows.collect())
}

/// Newest first by `occurred_at` unless the plan says otherwise.
pub fn list(conn: &mut DbConnection, scope: &Scope, filters: &Filters, plan: &ListPlan) -> ApiResult<Vec<Activity>> {
    let org_id = scope.org_id();
    let mut query = activities::table
        .filter(activities::org_id.eq(org_id))
        .filter(activities::deleted_at.is_null())
        .select(Activity::as_select())
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    if let Some(v) = &filters.kind {
        query = query.filter(activities::kind.eq(v.clone()));
    }
    if let Some(v) = &filters.status {
        query = query.filter(activities::status.eq(v.clone()));
    }
    if let Some(v) = &filters.assignee_id {
        query = query.filter(activities::assignee_id.eq(v.clone()));
    }
    for target in &filters.about {
        let about = links::table
            .filter(links::org_id.eq(org_id.to_string()))
            .filter(links::record_type.eq(target.record_type.clone()))
            .filter(links::record_id.eq(target.record_id.clone()))
            .select(links::activity_id);
        query = query.filter(activities::id.eq_any(about));
    }
    // Sorted by due date, a list holds only what has one (tasks), so the column is never null.
    if plan.sort_name() == "due_at" {
        query = query.filter(activities::due_at.is_not_null());
    }
    let (order, after) = SORTS.keyset::<activities::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// What activities sort by: newest first.
pub static SORTS: Sorts<Activity> = Sorts {
    default: "-occurred_at",
    id_column: "activities.id",
    id: |a| &a.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "occurred_at",
            column: "activities.occurred_at",
            kind: SortKind::Time,
            nullable: false,
            value: |a| Some(crm_core::time::format(&a.occurred_at)),
        },
        SortField {
            name: "due_at",
            column: "activities.due_at",
            kind: SortKind::Time,
            nullable: false,
            value: |a| a.due_at.as_ref().map(crm_core::time::format),
        },
    ],
};
