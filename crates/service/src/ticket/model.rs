//! Ticket rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::filter::{Condition, FieldSpec, Kind};
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::listing::Listing;
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::tickets;

pub const RECORD_TYPE: &str = "ticket";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "tkt";
/// The organization's ticket numbers (`crm_core::sequence`).
pub const NUMBERS: &str = "tickets";

/// Whose a ticket is, for record visibility: its assignee's.
pub const OWNER: &str = "tickets.assignee_id";

pub const STATUSES: &[&str] = &["new", "open", "pending", "on_hold", "solved", "closed"];
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];
pub const CHANNELS: &[&str] = &["email", "web", "phone", "chat", "api"];

/// How many tickets a contact's or company's timeline shows.
pub const LINKED_MAX: i64 = 200;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = tickets)]
pub struct Ticket {
    pub id: String,
    pub number: i64,
    pub subject: String,
    pub description: Option<String>,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub requester_id: Option<String>,
    pub company_id: Option<String>,
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub first_responded_at: Option<NaiveDateTime>,
    pub solved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub reopened_count: i32,
    pub sla_policy_id: Option<String>,
    pub first_response_due_at: Option<NaiveDateTime>,
    pub resolution_due_at: Option<NaiveDateTime>,
    pub sla_paused_at: Option<NaiveDateTime>,
    pub sla_flags: i32,
    pub sla_next_check_at: Option<NaiveDateTime>,
    pub tags: String,
    pub external_ids: String,
    pub custom: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// Every stored field a ticket's write sets from its input (not its id, number, times or
/// version).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFields {
    pub subject: String,
    pub description: Option<String>,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub requester_id: Option<String>,
    pub company_id: Option<String>,
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub tags: String,
    pub external_ids: String,
    pub custom: String,
}

/// What a ticket's life stamps on it: when it was first answered, solved, closed, reopened.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Milestones {
    pub first_responded_at: Option<NaiveDateTime>,
    pub solved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub reopened_count: i32,
}

/// Everything tickets sort by (and `custom.<key>`).
pub static SORTS: Sorts<Ticket> = Sorts {
    default: "created_at",
    id_column: "tickets.id",
    id: |t| &t.id,
    custom: |t| &t.custom,
    fields: &[
        SortField {
            name: "created_at",
            column: "tickets.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |t| Some(crm_core::time::format(&t.created_at)),
        },
        SortField {
            name: "updated_at",
            column: "tickets.updated_at",
            kind: SortKind::Time,
            nullable: false,
            value: |t| Some(crm_core::time::format(&t.updated_at)),
        },
        SortField {
            name: "number",
            column: "tickets.number",
            kind: SortKind::Number,
            nullable: false,
            value: |t| Some(t.number.to_string()),
        },
    ],
};

pub const FILTERABLE: &[FieldSpec] = &[
    FieldSpec { name: "number", column: "tickets.number", kind: Kind::Integer },
    FieldSpec { name: "subject", column: "tickets.subject", kind: Kind::Text },
    FieldSpec { name: "status", column: "tickets.status", kind: Kind::Enum(STATUSES) },
    FieldSpec { name: "priority", column: "tickets.priority", kind: Kind::Enum(PRIORITIES) },
    FieldSpec { name: "channel", column: "tickets.channel", kind: Kind::Enum(CHANNELS) },
    FieldSpec { name: "requester_id", column: "tickets.requester_id", kind: Kind::Text },
    FieldSpec { name: "company_id", column: "tickets.company_id", kind: Kind::Text },
    FieldSpec { name: "assignee_id", column: "tickets.assignee_id", kind: Kind::Text },
    FieldSpec { name: "team_id", column: "tickets.team_id", kind: Kind::Text },
    FieldSpec { name: "reopened_count", column: "tickets.reopened_count", kind: Kind::Integer },
    FieldSpec { name: "first_responded_at", column: "tickets.first_responded_at", kind: Kind::Time },
    FieldSpec { name: "solved_at", column: "tickets.solved_at", kind: Kind::Time },
    FieldSpec { name: "tags", column: "tickets.id", kind: Kind::Tags },
    FieldSpec { name: "created_at", column: "tickets.created_at", kind: Kind::Time },
    FieldSpec { name: "updated_at", column: "tickets.updated_at", kind: Kind::Time },
];

/// Fields the free-text `query` of a search looks in.
pub const TEXT_FIELDS: &[&str] = &["subject"];

/// How tickets are listed and searched.
pub static LISTING: Listing<Ticket> =
    Listing { record_type: RECORD_TYPE, sorts: &SORTS, filterable: FILTERABLE, text_fields: TEXT_FIELDS };

#[derive(Debug, Default)]
pub struct Filters {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee_id: Option<String>,
    pub team_id: Option<String>,
    pub requester_id: Option<String>,
    pub company_id: Option<String>,
    pub tag: Option<String>,
}

/// A live ticket in the scope's sight.
pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Ticket>> {
    find_in(conn, scope, id, false)
}

/// A trashed ticket in the scope's sight.
pub fn find_deleted(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Ticket>> {
    find_in(conn, scope, id, true)
}

fn find_in(conn: &mut DbConnection, scope: &Scope, id: &str, trashed: bool) -> ApiResult<Option<Ticket>> {
    let mut query = tickets::table
        .filter(tickets::org_id.eq(scope.org_id().to_string()))
        .filter(tickets::id.eq(id.to_string()))
        .select(Ticket::as_select())
        .into_boxed();
    query = if trashed {
        query.filter(tickets::deleted_at.is_not_null())
    } else {
        query.filter(tickets::deleted_at.is_null())
    };
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    Ok(query.first(conn).optional()?)
}

/// The live ticket with this number, whoever may see it.
pub fn find_by_number(conn: &mut DbConnection, org_id: &str, number: i64) -> ApiResult<Option<String>> {
    Ok(tickets::table
        .filter(tickets::org_id.eq(org_id))
        .filter(tickets::number.eq(number))
        .filter(tickets::deleted_at.is_null())
        .select(tickets::id)
        .first(conn)
        .optional()?)
}

/// The tickets in the scope's sight whose requester is this contact, or whose company this is.
pub fn linked(conn: &mut DbConnection, scope: &Scope, record_type: &str, id: &str) -> ApiResult<Vec<String>> {
    let mut query = tickets::table
        .filter(tickets::org_id.eq(scope.org_id().to_string()))
        .filter(tickets::deleted_at.is_null())
        .select(tickets::id)
        .order((tickets::created_at.desc(), tickets::id.desc()))
        .limit(LINKED_MAX)
        .into_boxed();
    query = match record_type {
        "contact" => query.filter(tickets::requester_id.eq(id.to_string())),
        "company" => query.filter(tickets::company_id.eq(id.to_string())),
        _ => return Ok(Vec::new()),
    };
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    Ok(query.load(conn)?)
}

/// What a stored ticket's writes set, as stored.
pub fn fields_of(t: &Ticket) -> TicketFields {
    let t = t.clone();
    TicketFields {
        subject: t.subject,
        description: t.description,
        status: t.status,
        priority: t.priority,
        channel: t.channel,
        requester_id: t.requester_id,
        company_id: t.company_id,
        assignee_id: t.assignee_id,
        team_id: t.team_id,
        tags: t.tags,
        external_ids: t.external_ids,
        custom: t.custom,
    }
}

/// The row's columns a write sets.
pub fn columns(fields: &TicketFields, milestones: &Milestones) -> Vec<(&'static str, Piece)> {
    use Piece::{BigInt, OptionalText, OptionalTime, Text};
    let f = fields.clone();
    vec![
        ("subject", Text(f.subject)),
        ("description", OptionalText(f.description)),
        ("status", Text(f.status)),
        ("priority", Text(f.priority)),
        ("channel", Text(f.channel)),
        ("requester_id", OptionalText(f.requester_id)),
        ("company_id", OptionalText(f.company_id)),
        ("assignee_id", OptionalText(f.assignee_id)),
        ("team_id", OptionalText(f.team_id)),
        ("first_responded_at", OptionalTime(milestones.first_responded_at)),
        ("solved_at", OptionalTime(milestones.solved_at)),
        ("closed_at", OptionalTime(milestones.closed_at)),
        ("reopened_count", BigInt(i64::from(milestones.reopened_count))),
        ("tags", Text(f.tags)),
        ("external_ids", Text(f.external_ids)),
        ("custom", Text(f.custom)),
    ]
}

/// The `INSERT` of a new ticket's row, version 1, created and updated `now`.
pub fn insert(
    scope: &Scope,
    id: &str,
    number: i64,
    fields: &TicketFields,
    milestones: &Milestones,
    sla: &crate::sla::model::TicketSla,
    now: NaiveDateTime,
) -> Vec<Piece> {
    let mut row = vec![
        ("id", Piece::Text(id.to_string())),
        ("org_id", Piece::Text(scope.org_id().to_string())),
        ("number", Piece::BigInt(number)),
    ];
    row.extend(columns(fields, milestones));
    row.extend(crate::sla::model::sla_columns(sla));
    row.extend([("created_at", Piece::Time(now)), ("updated_at", Piece::Time(now)), ("version", Piece::BigInt(1))]);
    crm_core::sql::insert_row("tickets", row)
}

/// The ticket with this SLA.
pub fn with_sla(t: Ticket, sla: crate::sla::model::TicketSla) -> Ticket {
    Ticket {
        sla_policy_id: sla.policy_id,
        first_response_due_at: sla.first_response_due_at,
        resolution_due_at: sla.resolution_due_at,
        sla_paused_at: sla.paused_at,
        sla_flags: sla.flags,
        sla_next_check_at: sla.next_check_at,
        ..t
    }
}

/// The row a ticket's writes store, as stored.
pub fn stored(
    id: &str,
    number: i64,
    fields: TicketFields,
    milestones: Milestones,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
) -> Ticket {
    let f = fields;
    Ticket {
        id: id.to_string(),
        number,
        subject: f.subject,
        description: f.description,
        status: f.status,
        priority: f.priority,
        channel: f.channel,
        requester_id: f.requester_id,
        company_id: f.company_id,
        assignee_id: f.assignee_id,
        team_id: f.team_id,
        first_responded_at: milestones.first_responded_at,
        solved_at: milestones.solved_at,
        closed_at: milestones.closed_at,
        reopened_count: milestones.reopened_count,
        sla_policy_id: None,
        first_response_due_at: None,
        resolution_due_at: None,
        sla_paused_at: None,
        sla_flags: 0,
        sla_next_check_at: None,
        tags: f.tags,
        external_ids: f.external_ids,
        custom: f.custom,
        created_at,
        updated_at,
        version,
    }
}

/// A page of live tickets in the scope's sight matching the simple filters and every compiled
/// condition.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filters: &Filters,
    conditions: Vec<Condition<tickets::table>>,
    plan: &ListPlan,
) -> ApiResult<Vec<Ticket>> {
    let mut query = tickets::table
        .filter(tickets::org_id.eq(scope.org_id().to_string()))
        .filter(tickets::deleted_at.is_null())
        .select(Ticket::as_select())
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    if let Some(v) = &filters.status {
        query = query.filter(tickets::status.eq(v.clone()));
    }
    if let Some(v) = &filters.priority {
        query = query.filter(tickets::priority.eq(v.clone()));
    }
    if let Some(v) = &filters.assignee_id {
        query = query.filter(tickets::assignee_id.eq(v.clone()));
    }
    if let Some(v) = &filters.team_id {
        query = query.filter(tickets::team_id.eq(v.clone()));
    }
    if let Some(v) = &filters.requester_id {
        query = query.filter(tickets::requester_id.eq(v.clone()));
    }
    if let Some(v) = &filters.company_id {
        query = query.filter(tickets::company_id.eq(v.clone()));
    }
    if let Some(tag) = &filters.tag {
        query = query.filter(crm_core::filter::tagged::<tickets::table>(
            scope.org_id(),
            RECORD_TYPE,
            "tickets.id",
            tag.clone(),
        ));
    }
    for condition in conditions {
        query = query.filter(condition);
    }
    let (order, after) = SORTS.keyset::<tickets::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Whether the ticket meets a compiled condition.
pub fn matches(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    condition: Condition<tickets::table>,
) -> ApiResult<bool> {
    let hits: i64 = tickets::table
        .filter(tickets::org_id.eq(scope.org_id().to_string()))
        .filter(tickets::id.eq(id.to_string()))
        .filter(condition)
        .count()
        .get_result(conn)?;
    Ok(hits > 0)
}

/// An agent's queue: their unsolved live tickets in the scope's sight, the soonest resolution
/// due first, those without a target after them. The status test is written out, not bound,
/// so that PostgreSQL takes the partial index `tickets_org_queue` in a generic plan too.
pub fn queue(conn: &mut DbConnection, scope: &Scope, assignee_id: &str, limit: i64) -> ApiResult<Vec<Ticket>> {
    use crm_core::sql::Statement;
    let mut pieces = vec![
        Piece::Sql("SELECT * FROM tickets WHERE org_id = ".into()),
        Piece::Text(scope.org_id().to_string()),
        Piece::Sql(" AND assignee_id = ".into()),
        Piece::Text(assignee_id.to_string()),
        Piece::Sql(" AND status NOT IN ('solved', 'closed') AND deleted_at IS NULL".into()),
    ];
    if let Some(sight) = scope.sight(RECORD_TYPE, OWNER) {
        pieces.push(Piece::Sql(" AND ".into()));
        pieces.extend(sight);
    }
    // A literal LIMIT: a bound one makes PostgreSQL plan the query again on every execution.
    pieces.push(Piece::Sql(format!(" ORDER BY resolution_due_at NULLS LAST, id LIMIT {}", limit.clamp(1, 100))));
    Ok(Statement::new(pieces).load(conn)?)
}
