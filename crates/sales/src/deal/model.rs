//! Deal rows, their contacts and stage history, and their queries; every query takes the
//! organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::filter::{Condition, FieldSpec, Kind};
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::listing::Listing;
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::{deal_contacts, deal_stage_history as history, deals, pipeline_stages as stages};

pub const RECORD_TYPE: &str = "deal";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "deal";
const HISTORY_ID_PREFIX: &str = "dsh";

/// Whose a deal is, for record visibility.
pub const OWNER: &str = "deals.owner_id";

pub const STATUSES: &[&str] = &["open", "won", "lost"];
pub const FORECAST_CATEGORIES: &[&str] = &["pipeline", "best_case", "commit", "closed", "omitted"];

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = deals)]
pub struct Deal {
    pub id: String,
    pub name: String,
    pub sort_name: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub close_date: Option<String>,
    pub pipeline_id: String,
    pub stage_id: String,
    pub status: String,
    pub owner_id: Option<String>,
    pub company_id: Option<String>,
    pub source: Option<String>,
    pub lost_reason: Option<String>,
    pub next_step: Option<String>,
    pub forecast_category: String,
    pub stage_entered_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub tags: String,
    pub external_ids: String,
    pub custom: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// Every stored field but the id, organization, creation time and version.
#[derive(Debug, Clone, PartialEq)]
pub struct DealFields {
    pub name: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub close_date: Option<String>,
    pub pipeline_id: String,
    pub stage_id: String,
    pub status: String,
    pub owner_id: Option<String>,
    pub company_id: Option<String>,
    pub source: Option<String>,
    pub lost_reason: Option<String>,
    pub next_step: Option<String>,
    pub forecast_category: String,
    pub stage_entered_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub tags: String,
    pub external_ids: String,
    /// Custom values as a JSON object, checked against the organization's definitions.
    pub custom: String,
}

/// Everything deals sort by (and `custom.<key>`).
pub static SORTS: Sorts<Deal> = Sorts {
    default: "created_at",
    id_column: "deals.id",
    id: |d| &d.id,
    custom: |d| &d.custom,
    fields: &[
        SortField {
            name: "created_at",
            column: "deals.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |d| Some(crm_core::time::format(&d.created_at)),
        },
        SortField {
            name: "updated_at",
            column: "deals.updated_at",
            kind: SortKind::Time,
            nullable: false,
            value: |d| Some(crm_core::time::format(&d.updated_at)),
        },
        SortField {
            name: "name",
            column: "deals.sort_name",
            kind: SortKind::Text,
            nullable: false,
            value: |d| Some(d.sort_name.clone()),
        },
        SortField {
            name: "amount",
            column: "deals.amount",
            kind: SortKind::Number,
            nullable: true,
            value: |d| d.amount.map(|n| (n as f64).to_string()),
        },
        SortField {
            name: "close_date",
            column: "deals.close_date",
            kind: SortKind::Text,
            nullable: true,
            value: |d| d.close_date.clone(),
        },
    ],
};

pub const FILTERABLE: &[FieldSpec] = &[
    FieldSpec { name: "name", column: "deals.name", kind: Kind::Text },
    FieldSpec { name: "amount", column: "deals.amount", kind: Kind::Integer },
    FieldSpec { name: "currency", column: "deals.currency", kind: Kind::Text },
    FieldSpec { name: "close_date", column: "deals.close_date", kind: Kind::Date },
    FieldSpec { name: "pipeline_id", column: "deals.pipeline_id", kind: Kind::Text },
    FieldSpec { name: "stage_id", column: "deals.stage_id", kind: Kind::Text },
    FieldSpec { name: "status", column: "deals.status", kind: Kind::Enum(STATUSES) },
    FieldSpec { name: "owner_id", column: "deals.owner_id", kind: Kind::Text },
    FieldSpec { name: "company_id", column: "deals.company_id", kind: Kind::Text },
    FieldSpec { name: "source", column: "deals.source", kind: Kind::Text },
    FieldSpec { name: "lost_reason", column: "deals.lost_reason", kind: Kind::Text },
    FieldSpec { name: "forecast_category", column: "deals.forecast_category", kind: Kind::Enum(FORECAST_CATEGORIES) },
    FieldSpec { name: "tags", column: "deals.id", kind: Kind::Tags },
    FieldSpec { name: "stage_entered_at", column: "deals.stage_entered_at", kind: Kind::Time },
    FieldSpec { name: "closed_at", column: "deals.closed_at", kind: Kind::Time },
    FieldSpec { name: "created_at", column: "deals.created_at", kind: Kind::Time },
    FieldSpec { name: "updated_at", column: "deals.updated_at", kind: Kind::Time },
];

/// Fields the free-text `query` of a search looks in.
pub const TEXT_FIELDS: &[&str] = &["name"];

/// How deals are listed and searched.
pub static LISTING: Listing<Deal> =
    Listing { record_type: RECORD_TYPE, sorts: &SORTS, filterable: FILTERABLE, text_fields: TEXT_FIELDS };

#[derive(Debug, Default)]
pub struct Filters {
    pub pipeline_id: Option<String>,
    pub stage_id: Option<String>,
    pub status: Option<String>,
    pub owner_id: Option<String>,
    pub company_id: Option<String>,
    pub contact_id: Option<String>,
    pub tag: Option<String>,
}

/// A live deal in the scope's sight.
pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Deal>> {
    let query = deals::table
        .filter(deals::org_id.eq(scope.org_id()))
        .filter(deals::id.eq(id))
        .filter(deals::deleted_at.is_null())
        .select(Deal::as_select());
    Ok(match scope.visible(RECORD_TYPE, OWNER) {
        None => query.first(conn).optional()?,
        Some(visible) => query.filter(visible).first(conn).optional()?,
    })
}

/// The most linked deals (or leads) whose changes a timeline shows: the latest created.
pub const LINKED_MAX: i64 = 500;

/// The live deals in the scope's sight of a company, or that a contact is on.
pub fn linked(conn: &mut DbConnection, scope: &Scope, record_type: &str, id: &str) -> ApiResult<Vec<String>> {
    let mut query = deals::table
        .filter(deals::org_id.eq(scope.org_id().to_string()))
        .filter(deals::deleted_at.is_null())
        .select(deals::id)
        .order((deals::created_at.desc(), deals::id.desc()))
        .limit(LINKED_MAX)
        .into_boxed();
    query = match record_type {
        "company" => query.filter(deals::company_id.eq(id.to_string())),
        "contact" => query.filter(
            deals::id.eq_any(
                deal_contacts::table
                    .filter(deal_contacts::org_id.eq(scope.org_id().to_string()))
                    .filter(deal_contacts::contact_id.eq(id.to_string()))
                    .select(deal_contacts::deal_id),
            ),
        ),
        _ => return Ok(Vec::new()),
    };
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    Ok(query.load(conn)?)
}

/// The live open deals of a company whose owner is not `owner`.
pub fn open_of_company(conn: &mut DbConnection, org_id: &str, company_id: &str, owner: &str) -> ApiResult<Vec<String>> {
    Ok(deals::table
        .filter(deals::org_id.eq(org_id))
        .filter(deals::company_id.eq(company_id))
        .filter(deals::status.eq("open"))
        .filter(deals::deleted_at.is_null())
        .filter(deals::owner_id.is_null().or(deals::owner_id.ne(owner)))
        .order(deals::id.asc())
        .select(deals::id)
        .load(conn)?)
}

/// A trashed deal in the scope's sight.
pub fn find_deleted(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Deal>> {
    let query = deals::table
        .filter(deals::org_id.eq(scope.org_id()))
        .filter(deals::id.eq(id))
        .filter(deals::deleted_at.is_not_null())
        .select(Deal::as_select());
    Ok(match scope.visible(RECORD_TYPE, OWNER) {
        None => query.first(conn).optional()?,
        Some(visible) => query.filter(visible).first(conn).optional()?,
    })
}

/// The row's columns but the id, organization, creation time and version.
fn columns(fields: &DealFields) -> Vec<(&'static str, Piece)> {
    use Piece::{OptionalBigInt, OptionalText, OptionalTime, Text, Time};
    let f = fields.clone();
    vec![
        ("name", Text(f.name.trim().to_string())),
        ("sort_name", Text(f.name.trim().to_lowercase())),
        ("amount", OptionalBigInt(f.amount)),
        ("currency", OptionalText(f.currency)),
        ("close_date", OptionalText(f.close_date)),
        ("pipeline_id", Text(f.pipeline_id)),
        ("stage_id", Text(f.stage_id)),
        ("status", Text(f.status)),
        ("owner_id", OptionalText(f.owner_id)),
        ("company_id", OptionalText(f.company_id)),
        ("source", OptionalText(f.source)),
        ("lost_reason", OptionalText(f.lost_reason)),
        ("next_step", OptionalText(f.next_step)),
        ("forecast_category", Text(f.forecast_category)),
        ("stage_entered_at", Time(f.stage_entered_at)),
        ("closed_at", OptionalTime(f.closed_at)),
        ("tags", Text(f.tags)),
        ("external_ids", Text(f.external_ids)),
        ("custom", Text(f.custom)),
    ]
}

/// The `INSERT` of a new deal's row, version 1, created and updated `now`.
pub fn insert(scope: &Scope, id: &str, fields: &DealFields, now: NaiveDateTime) -> Vec<Piece> {
    let mut row = vec![("id", Piece::Text(id.to_string())), ("org_id", Piece::Text(scope.org_id().to_string()))];
    row.extend(columns(fields));
    row.extend([("created_at", Piece::Time(now)), ("updated_at", Piece::Time(now)), ("version", Piece::BigInt(1))]);
    crm_core::sql::insert_row("deals", row)
}

/// An existing deal's columns as an update writes them, `updated_at` `now` (the write runner
/// writes them with the version).
pub fn updated_row(fields: &DealFields, now: NaiveDateTime) -> Vec<(&'static str, Piece)> {
    let mut set = columns(fields);
    set.push(("updated_at", Piece::Time(now)));
    set
}

/// The `INSERT` of the stage-history row of a deal entering a stage.
pub fn entered(scope: &Scope, deal_id: &str, pipeline_id: &str, stage_id: &str, at: NaiveDateTime) -> Vec<Piece> {
    crm_core::sql::insert_row(
        "deal_stage_history",
        vec![
            ("id", Piece::Text(crm_core::id::new_id(HISTORY_ID_PREFIX))),
            ("org_id", Piece::Text(scope.org_id().to_string())),
            ("deal_id", Piece::Text(deal_id.to_string())),
            ("pipeline_id", Piece::Text(pipeline_id.to_string())),
            ("stage_id", Piece::Text(stage_id.to_string())),
            ("entered_at", Piece::Time(at)),
            ("exited_at", Piece::OptionalTime(None)),
        ],
    )
}

/// Closes the deal's open stage-history row: it left its stage `at`.
pub fn exited(scope: &Scope, deal_id: &str, at: NaiveDateTime) -> Vec<Piece> {
    vec![
        Piece::Sql("UPDATE deal_stage_history SET exited_at = ".into()),
        Piece::Time(at),
        Piece::Sql(" WHERE org_id = ".into()),
        Piece::Text(scope.org_id().to_string()),
        Piece::Sql(" AND deal_id = ".into()),
        Piece::Text(deal_id.to_string()),
        Piece::Sql(" AND exited_at IS NULL".into()),
    ]
}

#[derive(Debug, Clone, Queryable)]
pub struct HistoryRow {
    pub pipeline_id: String,
    pub stage_id: String,
    pub stage_name: Option<String>,
    pub entered_at: NaiveDateTime,
    pub exited_at: Option<NaiveDateTime>,
}

/// The deal's stage history, oldest first, with the names of the stages that still exist.
pub fn history_of(conn: &mut DbConnection, scope: &Scope, deal_id: &str) -> ApiResult<Vec<HistoryRow>> {
    Ok(history::table
        .left_join(stages::table.on(stages::org_id.eq(history::org_id).and(stages::id.eq(history::stage_id))))
        .filter(history::org_id.eq(scope.org_id()))
        .filter(history::deal_id.eq(deal_id))
        .order((history::entered_at.asc(), history::id.asc()))
        .select((
            history::pipeline_id,
            history::stage_id,
            stages::name.nullable(),
            history::entered_at,
            history::exited_at,
        ))
        .load(conn)?)
}

/// (contact id, role) of the people on these deals.
pub fn contacts_of(
    conn: &mut DbConnection,
    scope: &Scope,
    deal_ids: &[&str],
) -> ApiResult<Vec<(String, String, Option<String>)>> {
    Ok(deal_contacts::table
        .filter(deal_contacts::org_id.eq(scope.org_id()))
        .filter(deal_contacts::deal_id.eq_any(deal_ids))
        .order((deal_contacts::deal_id.asc(), deal_contacts::created_at.asc(), deal_contacts::contact_id.asc()))
        .select((deal_contacts::deal_id, deal_contacts::contact_id, deal_contacts::role))
        .load(conn)?)
}

/// The `INSERT` of the people on a new deal.
pub fn contact_rows(scope: &Scope, deal_id: &str, contacts: &[(String, Option<String>)]) -> Option<Vec<Piece>> {
    let now = crm_core::time::now();
    let rows = contacts
        .iter()
        .map(|(contact_id, role)| {
            vec![
                Piece::Text(scope.org_id().to_string()),
                Piece::Text(deal_id.to_string()),
                Piece::Text(contact_id.clone()),
                Piece::OptionalText(role.clone()),
                Piece::Time(now),
            ]
        })
        .collect();
    crm_core::sql::insert_values("deal_contacts", &["org_id", "deal_id", "contact_id", "role", "created_at"], rows)
}

/// Replaces the people on a deal.
pub fn set_contacts(
    conn: &mut DbConnection,
    scope: &Scope,
    deal_id: &str,
    contacts: &[(String, Option<String>)],
) -> ApiResult<()> {
    diesel::delete(
        deal_contacts::table
            .filter(deal_contacts::org_id.eq(scope.org_id()))
            .filter(deal_contacts::deal_id.eq(deal_id)),
    )
    .execute(conn)?;
    if let Some(insert) = contact_rows(scope, deal_id, contacts) {
        crm_core::sql::Statement::uncached(insert).execute(conn)?;
    }
    Ok(())
}

/// The probability of each of these stages.
pub fn probabilities(conn: &mut DbConnection, scope: &Scope, stage_ids: &[&str]) -> ApiResult<Vec<(String, i32)>> {
    Ok(stages::table
        .filter(stages::org_id.eq(scope.org_id()))
        .filter(stages::id.eq_any(stage_ids))
        .select((stages::id, stages::probability))
        .load(conn)?)
}

/// A page of live deals in the scope's sight matching the simple filters and every compiled
/// condition.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filters: &Filters,
    conditions: Vec<Condition<deals::table>>,
    plan: &ListPlan,
) -> ApiResult<Vec<Deal>> {
    let mut query = deals::table
        .filter(deals::org_id.eq(scope.org_id()))
        .filter(deals::deleted_at.is_null())
        .select(Deal::as_select())
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    if let Some(v) = &filters.pipeline_id {
        query = query.filter(deals::pipeline_id.eq(v.clone()));
    }
    if let Some(v) = &filters.stage_id {
        query = query.filter(deals::stage_id.eq(v.clone()));
    }
    if let Some(v) = &filters.status {
        query = query.filter(deals::status.eq(v.clone()));
    }
    if let Some(v) = &filters.owner_id {
        query = query.filter(deals::owner_id.eq(v.clone()));
    }
    if let Some(v) = &filters.company_id {
        query = query.filter(deals::company_id.eq(v.clone()));
    }
    if let Some(v) = &filters.contact_id {
        let on_deal = deal_contacts::table
            .filter(deal_contacts::org_id.eq(scope.org_id().to_string()))
            .filter(deal_contacts::contact_id.eq(v.clone()))
            .select(deal_contacts::deal_id);
        query = query.filter(deals::id.eq_any(on_deal));
    }
    if let Some(tag) = &filters.tag {
        query = query.filter(crm_core::filter::tagged::<deals::table>(
            scope.org_id(),
            RECORD_TYPE,
            "deals.id",
            tag.clone(),
        ));
    }
    for condition in conditions {
        query = query.filter(condition);
    }
    let (order, after) = SORTS.keyset::<deals::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// One group of the board or the summary: how many deals and their amounts by currency.
#[derive(Debug, Clone, QueryableByName)]
pub struct Totals {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub key: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub count: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub amount: Option<i64>,
}

/// Live deals in the scope's sight grouped by `key` (a column, a constant) and currency,
/// under `conditions` (pieces joined by AND).
pub fn totals(
    conn: &mut DbConnection,
    scope: &Scope,
    key: &'static str,
    conditions: Vec<Vec<Piece>>,
) -> ApiResult<Vec<Totals>> {
    let mut pieces = vec![
        Piece::Sql(format!(
            "SELECT {key} AS key, currency, COUNT(*) AS count, CAST(SUM(amount) AS BIGINT) AS amount \
             FROM deals WHERE org_id = "
        )),
        Piece::Text(scope.org_id().to_string()),
        Piece::Sql(" AND deleted_at IS NULL".into()),
    ];
    if let Some(sight) = scope.sight(RECORD_TYPE, OWNER) {
        pieces.push(Piece::Sql(" AND ".into()));
        pieces.extend(sight);
    }
    for condition in conditions {
        pieces.push(Piece::Sql(" AND ".into()));
        pieces.extend(condition);
    }
    pieces.push(Piece::Sql(format!(" GROUP BY {key}, currency")));
    Ok(crm_core::sql::Statement::uncached(pieces).load::<Totals>(conn)?)
}

/// The first `limit` live deals of each stage in the scope's sight (of one owner), oldest in
/// the stage first: one statement, each stage's part read off the index in order.
pub fn first_in_stages(
    conn: &mut DbConnection,
    scope: &Scope,
    stage_ids: &[&str],
    owner_id: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Deal>> {
    if stage_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pieces = Vec::new();
    for (i, stage_id) in stage_ids.iter().enumerate() {
        // Each part is a subquery: SQLite takes no LIMIT on a member of a UNION itself.
        pieces.push(Piece::Sql(format!(
            "{}SELECT * FROM (SELECT * FROM deals WHERE org_id = ",
            if i == 0 { "" } else { " UNION ALL " }
        )));
        pieces.extend([
            Piece::Text(scope.org_id().to_string()),
            Piece::Sql(" AND stage_id = ".into()),
            Piece::Text(stage_id.to_string()),
            Piece::Sql(" AND deleted_at IS NULL".into()),
        ]);
        if let Some(sight) = scope.sight(RECORD_TYPE, OWNER) {
            pieces.push(Piece::Sql(" AND ".into()));
            pieces.extend(sight);
        }
        if let Some(owner) = owner_id {
            pieces.extend([Piece::Sql(" AND owner_id = ".into()), Piece::Text(owner.to_string())]);
        }
        // The limit is written in, not bound: PostgreSQL plans a bound LIMIT afresh on every
        // execution (its generic plan, not knowing the limit, looks dearer), most of the cost.
        pieces.push(Piece::Sql(format!(" ORDER BY stage_entered_at, id LIMIT {limit}) AS stage{i}")));
    }
    Ok(Statement::new(pieces).load(conn)?)
}

/// The row a new deal's `insert` writes, as stored.
pub fn inserted(id: &str, fields: DealFields, now: NaiveDateTime) -> Deal {
    let f = fields;
    Deal {
        id: id.to_string(),
        sort_name: f.name.trim().to_lowercase(),
        name: f.name.trim().to_string(),
        amount: f.amount,
        currency: f.currency,
        close_date: f.close_date,
        pipeline_id: f.pipeline_id,
        stage_id: f.stage_id,
        status: f.status,
        owner_id: f.owner_id,
        company_id: f.company_id,
        source: f.source,
        lost_reason: f.lost_reason,
        next_step: f.next_step,
        forecast_category: f.forecast_category,
        stage_entered_at: f.stage_entered_at,
        closed_at: f.closed_at,
        tags: f.tags,
        external_ids: f.external_ids,
        custom: f.custom,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}
