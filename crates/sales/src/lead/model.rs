//! Lead rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::filter::{Condition, FieldSpec, Kind};
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::listing::Listing;
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::leads;

pub const RECORD_TYPE: &str = "lead";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "lead";

/// Whose a lead is, for record visibility.
pub const OWNER: &str = "leads.owner_id";

pub const STATUSES: &[&str] = &["new", "working", "nurturing", "qualified", "disqualified", "converted"];

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = leads)]
pub struct Lead {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub sort_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    pub company_domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub country: Option<String>,
    pub source: Option<String>,
    pub status: String,
    pub disqualified_reason: Option<String>,
    pub budget_amount: Option<i64>,
    pub budget_currency: Option<String>,
    pub authority: Option<String>,
    pub need: Option<String>,
    pub timeline: Option<String>,
    pub owner_id: Option<String>,
    pub score: i32,
    pub converted_at: Option<NaiveDateTime>,
    pub converted_to: Option<String>,
    pub tags: String,
    pub external_ids: String,
    pub custom: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// Every stored field a lead's write sets (not its id, organization, times, version,
/// score or conversion).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    pub company_domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub country: Option<String>,
    pub source: Option<String>,
    pub status: String,
    pub disqualified_reason: Option<String>,
    pub budget_amount: Option<i64>,
    pub budget_currency: Option<String>,
    pub authority: Option<String>,
    pub need: Option<String>,
    pub timeline: Option<String>,
    pub owner_id: Option<String>,
    pub tags: String,
    pub external_ids: String,
    pub custom: String,
}

impl LeadFields {
    /// How the lead sorts and is titled: its name, else its e-mail, else its company.
    pub fn title(&self) -> String {
        let name =
            [self.first_name.as_deref(), self.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        if !name.is_empty() {
            return name;
        }
        self.email.clone().or_else(|| self.company_name.clone()).unwrap_or_default()
    }
}

/// Everything leads sort by (and `custom.<key>`).
pub static SORTS: Sorts<Lead> = Sorts {
    default: "created_at",
    id_column: "leads.id",
    id: |l| &l.id,
    custom: |l| &l.custom,
    fields: &[
        SortField {
            name: "created_at",
            column: "leads.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |l| Some(crm_core::time::format(&l.created_at)),
        },
        SortField {
            name: "updated_at",
            column: "leads.updated_at",
            kind: SortKind::Time,
            nullable: false,
            value: |l| Some(crm_core::time::format(&l.updated_at)),
        },
        SortField {
            name: "name",
            column: "leads.sort_name",
            kind: SortKind::Text,
            nullable: false,
            value: |l| Some(l.sort_name.clone()),
        },
        SortField {
            name: "score",
            column: "leads.score",
            kind: SortKind::Number,
            nullable: false,
            value: |l| Some(f64::from(l.score).to_string()),
        },
    ],
};

pub const FILTERABLE: &[FieldSpec] = &[
    FieldSpec { name: "first_name", column: "leads.first_name", kind: Kind::Text },
    FieldSpec { name: "last_name", column: "leads.last_name", kind: Kind::Text },
    FieldSpec { name: "email", column: "leads.email", kind: Kind::Text },
    FieldSpec { name: "phone", column: "leads.phone", kind: Kind::Text },
    FieldSpec { name: "job_title", column: "leads.job_title", kind: Kind::Text },
    FieldSpec { name: "company_name", column: "leads.company_name", kind: Kind::Text },
    FieldSpec { name: "company_domain", column: "leads.company_domain", kind: Kind::Text },
    FieldSpec { name: "industry", column: "leads.industry", kind: Kind::Text },
    FieldSpec { name: "employee_count", column: "leads.employee_count", kind: Kind::Integer },
    FieldSpec { name: "country", column: "leads.country", kind: Kind::Text },
    FieldSpec { name: "source", column: "leads.source", kind: Kind::Text },
    FieldSpec { name: "status", column: "leads.status", kind: Kind::Enum(STATUSES) },
    FieldSpec { name: "budget_amount", column: "leads.budget_amount", kind: Kind::Integer },
    FieldSpec { name: "authority", column: "leads.authority", kind: Kind::Text },
    FieldSpec { name: "timeline", column: "leads.timeline", kind: Kind::Date },
    FieldSpec { name: "owner_id", column: "leads.owner_id", kind: Kind::Text },
    FieldSpec { name: "score", column: "leads.score", kind: Kind::Integer },
    FieldSpec { name: "tags", column: "leads.id", kind: Kind::Tags },
    FieldSpec { name: "created_at", column: "leads.created_at", kind: Kind::Time },
    FieldSpec { name: "updated_at", column: "leads.updated_at", kind: Kind::Time },
];

/// Fields the free-text `query` of a search looks in.
pub const TEXT_FIELDS: &[&str] = &["first_name", "last_name", "email", "company_name"];

/// How leads are listed and searched.
pub static LISTING: Listing<Lead> =
    Listing { record_type: RECORD_TYPE, sorts: &SORTS, filterable: FILTERABLE, text_fields: TEXT_FIELDS };

#[derive(Debug, Default)]
pub struct Filters {
    pub status: Option<String>,
    pub owner_id: Option<String>,
    pub source: Option<String>,
    pub email: Option<String>,
    pub tag: Option<String>,
}

/// A live lead in the scope's sight.
pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Lead>> {
    find_in(conn, scope, id, false)
}

/// The oldest live lead in the scope's sight with this (normalized) e-mail, converted or not.
pub fn find_by_email(conn: &mut DbConnection, scope: &Scope, email: &str) -> ApiResult<Option<String>> {
    let mut query = leads::table
        .filter(leads::org_id.eq(scope.org_id().to_string()))
        .filter(leads::email.eq(email.to_string()))
        .filter(leads::deleted_at.is_null())
        .select(leads::id)
        .order((leads::created_at.asc(), leads::id.asc()))
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    Ok(query.first(conn).optional()?)
}

/// The leads in the scope's sight converted into this contact or company.
pub fn linked(conn: &mut DbConnection, scope: &Scope, record_type: &str, id: &str) -> ApiResult<Vec<String>> {
    if !matches!(record_type, "contact" | "company") {
        return Ok(Vec::new());
    }
    // `converted_to` is the JSON of what the lead became; ids are unique TypeIDs, so holding
    // the id is naming it.
    let mut query = leads::table
        .filter(leads::org_id.eq(scope.org_id().to_string()))
        .filter(leads::status.eq("converted"))
        .filter(leads::deleted_at.is_null())
        .filter(leads::converted_to.like(format!("%\"{id}\"%")))
        .select(leads::id)
        .order((leads::created_at.desc(), leads::id.desc()))
        .limit(crate::deal::model::LINKED_MAX)
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    Ok(query.load(conn)?)
}

/// A trashed lead in the scope's sight.
pub fn find_deleted(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Lead>> {
    find_in(conn, scope, id, true)
}

fn find_in(conn: &mut DbConnection, scope: &Scope, id: &str, trashed: bool) -> ApiResult<Option<Lead>> {
    let mut query = leads::table
        .filter(leads::org_id.eq(scope.org_id().to_string()))
        .filter(leads::id.eq(id.to_string()))
        .select(Lead::as_select())
        .into_boxed();
    query =
        if trashed { query.filter(leads::deleted_at.is_not_null()) } else { query.filter(leads::deleted_at.is_null()) };
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    Ok(query.first(conn).optional()?)
}

/// What a stored lead's writes set, as stored.
pub fn fields_of(l: &Lead) -> LeadFields {
    let l = l.clone();
    LeadFields {
        first_name: l.first_name,
        last_name: l.last_name,
        email: l.email,
        phone: l.phone,
        job_title: l.job_title,
        company_name: l.company_name,
        company_domain: l.company_domain,
        industry: l.industry,
        employee_count: l.employee_count,
        country: l.country,
        source: l.source,
        status: l.status,
        disqualified_reason: l.disqualified_reason,
        budget_amount: l.budget_amount,
        budget_currency: l.budget_currency,
        authority: l.authority,
        need: l.need,
        timeline: l.timeline,
        owner_id: l.owner_id,
        tags: l.tags,
        external_ids: l.external_ids,
        custom: l.custom,
    }
}

/// The row's columns a write sets.
fn columns(fields: &LeadFields) -> Vec<(&'static str, Piece)> {
    use Piece::{OptionalBigInt, OptionalText, Text};
    let f = fields.clone();
    vec![
        ("sort_name", Text(f.title().to_lowercase())),
        ("first_name", OptionalText(f.first_name)),
        ("last_name", OptionalText(f.last_name)),
        ("email", OptionalText(f.email)),
        ("phone", OptionalText(f.phone)),
        ("job_title", OptionalText(f.job_title)),
        ("company_name", OptionalText(f.company_name)),
        ("company_domain", OptionalText(f.company_domain)),
        ("industry", OptionalText(f.industry)),
        ("employee_count", OptionalBigInt(f.employee_count)),
        ("country", OptionalText(f.country)),
        ("source", OptionalText(f.source)),
        ("status", Text(f.status)),
        ("disqualified_reason", OptionalText(f.disqualified_reason)),
        ("budget_amount", OptionalBigInt(f.budget_amount)),
        ("budget_currency", OptionalText(f.budget_currency)),
        ("authority", OptionalText(f.authority)),
        ("need", OptionalText(f.need)),
        ("timeline", OptionalText(f.timeline)),
        ("owner_id", OptionalText(f.owner_id)),
        ("tags", Text(f.tags)),
        ("external_ids", Text(f.external_ids)),
        ("custom", Text(f.custom)),
    ]
}

/// The `INSERT` of a new lead's row, version 1, created and updated `now`.
pub fn insert(scope: &Scope, id: &str, fields: &LeadFields, now: NaiveDateTime) -> Vec<Piece> {
    let mut row = vec![("id", Piece::Text(id.to_string())), ("org_id", Piece::Text(scope.org_id().to_string()))];
    row.extend(columns(fields));
    row.extend([
        ("score", Piece::BigInt(0)),
        ("created_at", Piece::Time(now)),
        ("updated_at", Piece::Time(now)),
        ("version", Piece::BigInt(1)),
    ]);
    crm_core::sql::insert_row("leads", row)
}

/// The row a new lead's `insert` writes, as stored.
pub fn inserted(id: &str, fields: LeadFields, now: NaiveDateTime) -> Lead {
    let f = fields;
    Lead {
        id: id.to_string(),
        sort_name: f.title().to_lowercase(),
        first_name: f.first_name,
        last_name: f.last_name,
        email: f.email,
        phone: f.phone,
        job_title: f.job_title,
        company_name: f.company_name,
        company_domain: f.company_domain,
        industry: f.industry,
        employee_count: f.employee_count,
        country: f.country,
        source: f.source,
        status: f.status,
        disqualified_reason: f.disqualified_reason,
        budget_amount: f.budget_amount,
        budget_currency: f.budget_currency,
        authority: f.authority,
        need: f.need,
        timeline: f.timeline,
        owner_id: f.owner_id,
        score: 0,
        converted_at: None,
        converted_to: None,
        tags: f.tags,
        external_ids: f.external_ids,
        custom: f.custom,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// Writes an existing lead's columns (not its version: the write runner bumps it).
pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &LeadFields) -> ApiResult<()> {
    let mut set = columns(fields);
    set.push(("updated_at", Piece::Time(crm_core::time::now())));
    crm_core::sql::update_record("leads", scope.org_id(), id, set).execute(conn)?;
    Ok(())
}

/// Marks the lead converted into what `converted_to` (JSON) names.
/// The columns a conversion writes (the write runner adds the version): what it became, when.
pub fn converted_row(converted_to: &str, at: NaiveDateTime) -> Vec<(&'static str, Piece)> {
    vec![
        ("status", Piece::Text("converted".into())),
        ("converted_at", Piece::Time(at)),
        ("converted_to", Piece::Text(converted_to.to_string())),
        ("updated_at", Piece::Time(at)),
    ]
}

/// A page of live leads in the scope's sight matching the simple filters and every compiled
/// condition.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filters: &Filters,
    conditions: Vec<Condition<leads::table>>,
    plan: &ListPlan,
) -> ApiResult<Vec<Lead>> {
    let mut query = leads::table
        .filter(leads::org_id.eq(scope.org_id().to_string()))
        .filter(leads::deleted_at.is_null())
        .select(Lead::as_select())
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    if let Some(v) = &filters.status {
        query = query.filter(leads::status.eq(v.clone()));
    }
    if let Some(v) = &filters.owner_id {
        query = query.filter(leads::owner_id.eq(v.clone()));
    }
    if let Some(v) = &filters.source {
        query = query.filter(leads::source.eq(v.clone()));
    }
    if let Some(v) = &filters.email {
        query = query.filter(leads::email.eq(v.clone()));
    }
    if let Some(tag) = &filters.tag {
        query = query.filter(crm_core::filter::tagged::<leads::table>(
            scope.org_id(),
            RECORD_TYPE,
            "leads.id",
            tag.clone(),
        ));
    }
    for condition in conditions {
        query = query.filter(condition);
    }
    let (order, after) = SORTS.keyset::<leads::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// Whether the lead meets a compiled condition.
pub fn matches(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    condition: Condition<leads::table>,
) -> ApiResult<bool> {
    let hits: i64 = leads::table
        .filter(leads::org_id.eq(scope.org_id().to_string()))
        .filter(leads::id.eq(id.to_string()))
        .filter(condition)
        .count()
        .get_result(conn)?;
    Ok(hits > 0)
}
