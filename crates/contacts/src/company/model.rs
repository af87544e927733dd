//! Company rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::filter::{Condition, FieldSpec, Kind};
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::listing::Listing;
use crm_core::schema::companies;
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

pub const RECORD_TYPE: &str = "company";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "co";

/// Whose a company is, for record visibility.
pub const OWNER: &str = "companies.owner_id";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = companies)]
pub struct Company {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub sort_name: String,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub annual_revenue_amount: Option<i64>,
    pub annual_revenue_currency: Option<String>,
    pub addresses: String,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub tags: String,
    pub external_ids: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub version: i64,
    pub custom: String,
}

/// Every stored field but the id, organization, times and version.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyFields {
    pub name: String,
    pub sort_name: String,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub annual_revenue_amount: Option<i64>,
    pub annual_revenue_currency: Option<String>,
    pub addresses: String,
    pub parent_id: Option<String>,
    pub owner_id: Option<String>,
    pub tags: String,
    pub external_ids: String,
    /// Custom values as a JSON object, checked against the organization's definitions.
    pub custom: String,
}

/// Everything companies sort by (and `custom.<key>`).
pub static SORTS: Sorts<Company> = Sorts {
    default: "created_at",
    id_column: "companies.id",
    id: |c| &c.id,
    custom: |c| &c.custom,
    fields: &[
        SortField {
            name: "created_at",
            column: "companies.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |c| Some(crm_core::time::format(&c.created_at)),
        },
        SortField {
            name: "updated_at",
            column: "companies.updated_at",
            kind: SortKind::Time,
            nullable: false,
            value: |c| Some(crm_core::time::format(&c.updated_at)),
        },
        SortField {
            name: "name",
            column: "companies.sort_name",
            kind: SortKind::Text,
            nullable: false,
            value: |c| Some(c.sort_name.clone()),
        },
        SortField {
            name: "domain",
            column: "companies.domain",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.domain.clone(),
        },
        SortField {
            name: "industry",
            column: "companies.industry",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.industry.clone(),
        },
        SortField {
            name: "employee_count",
            column: "companies.employee_count",
            kind: SortKind::Number,
            nullable: true,
            value: |c| c.employee_count.map(|n| (n as f64).to_string()),
        },
        SortField {
            name: "annual_revenue_amount",
            column: "companies.annual_revenue_amount",
            kind: SortKind::Number,
            nullable: true,
            value: |c| c.annual_revenue_amount.map(|n| (n as f64).to_string()),
        },
        SortField {
            name: "owner_id",
            column: "companies.owner_id",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.owner_id.clone(),
        },
    ],
};

/// How companies are listed and searched.
pub static LISTING: Listing<Company> =
    Listing { record_type: RECORD_TYPE, sorts: &SORTS, filterable: FILTERABLE, text_fields: TEXT_FIELDS };

pub const FILTERABLE: &[FieldSpec] = &[
    FieldSpec { name: "name", column: "companies.name", kind: Kind::Text },
    FieldSpec { name: "domain", column: "companies.domain", kind: Kind::Text },
    FieldSpec { name: "industry", column: "companies.industry", kind: Kind::Text },
    FieldSpec { name: "employee_count", column: "companies.employee_count", kind: Kind::Integer },
    FieldSpec { name: "annual_revenue_amount", column: "companies.annual_revenue_amount", kind: Kind::Integer },
    FieldSpec { name: "parent_id", column: "companies.parent_id", kind: Kind::Text },
    FieldSpec { name: "owner_id", column: "companies.owner_id", kind: Kind::Text },
    FieldSpec { name: "tags", column: "companies.id", kind: Kind::Tags },
    FieldSpec { name: "created_at", column: "companies.created_at", kind: Kind::Time },
    FieldSpec { name: "updated_at", column: "companies.updated_at", kind: Kind::Time },
];

/// Fields the free-text `query` of a search looks in.
pub const TEXT_FIELDS: &[&str] = &["name", "domain"];

#[derive(Debug, Default)]
pub struct Filters {
    pub owner_id: Option<String>,
    pub parent_id: Option<String>,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub tag: Option<String>,
}

/// A live company in the scope's sight.
pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Company>> {
    let query = companies::table
        .filter(companies::org_id.eq(scope.org_id()))
        .filter(companies::id.eq(id))
        .filter(companies::deleted_at.is_null())
        .select(Company::as_select());
    // Unrestricted, it stays a static query, which diesel prepares once and looks up by type.
    Ok(match scope.visible(RECORD_TYPE, OWNER) {
        None => query.first(conn).optional()?,
        Some(visible) => query.filter(visible).first(conn).optional()?,
    })
}

/// The next `limit` live companies of the organization after the id `after`, by id (for jobs
/// that walk them all).
pub fn live_after(conn: &mut DbConnection, org_id: &str, after: &str, limit: i64) -> ApiResult<Vec<Company>> {
    Ok(companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::deleted_at.is_null())
        .filter(companies::id.gt(after))
        .order(companies::id.asc())
        .select(Company::as_select())
        .limit(limit)
        .load(conn)?)
}

/// The live company with this domain, other than `except`.
pub fn find_by_domain(conn: &mut DbConnection, scope: &Scope, domain: &str, except: &str) -> ApiResult<Option<String>> {
    let org_id = scope.org_id();
    Ok(companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::domain.eq(domain))
        .filter(companies::deleted_at.is_null())
        .filter(companies::id.ne(except))
        .select(companies::id)
        .first(conn)
        .optional()?)
}

/// The oldest live company with this name (compared lower-cased, like `sort_name`).
pub fn find_by_name(conn: &mut DbConnection, scope: &Scope, name: &str) -> ApiResult<Option<String>> {
    let org_id = scope.org_id();
    Ok(companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::sort_name.eq(name.trim().to_lowercase()))
        .filter(companies::deleted_at.is_null())
        .order((companies::created_at.asc(), companies::id.asc()))
        .select(companies::id)
        .first(conn)
        .optional()?)
}

pub fn parent_of(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<String>> {
    let org_id = scope.org_id();
    Ok(companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::id.eq(id))
        .select(companies::parent_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// The stored custom values of a company (live or trashed).
pub fn stored_custom(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<String> {
    let org_id = scope.org_id();
    Ok(companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::id.eq(id))
        .select(companies::custom)
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// The row's columns but the id, organization, times and version.
fn columns(fields: &CompanyFields) -> Vec<(&'static str, Piece)> {
    use Piece::{OptionalBigInt, OptionalText, Text};
    let f = fields.clone();
    vec![
        ("name", Text(f.name)),
        ("sort_name", Text(f.sort_name)),
        ("domain", OptionalText(f.domain)),
        ("industry", OptionalText(f.industry)),
        ("employee_count", OptionalBigInt(f.employee_count)),
        ("annual_revenue_amount", OptionalBigInt(f.annual_revenue_amount)),
        ("annual_revenue_currency", OptionalText(f.annual_revenue_currency)),
        ("addresses", Text(f.addresses)),
        ("parent_id", OptionalText(f.parent_id)),
        ("owner_id", OptionalText(f.owner_id)),
        ("tags", Text(f.tags)),
        ("external_ids", Text(f.external_ids)),
        ("custom", Text(f.custom)),
    ]
}

/// The `INSERT` of a new company's row, version 1, created and updated `now`.
pub fn insert(scope: &Scope, id: &str, fields: &CompanyFields, now: NaiveDateTime) -> Vec<Piece> {
    let mut row = vec![("id", Piece::Text(id.to_string())), ("org_id", Piece::Text(scope.org_id().to_string()))];
    row.extend(columns(fields));
    row.extend([("created_at", Piece::Time(now)), ("updated_at", Piece::Time(now)), ("version", Piece::BigInt(1))]);
    crm_core::sql::insert_row("companies", row)
}

/// The row a new company's `insert` writes, as stored.
pub fn inserted(scope: &Scope, id: &str, fields: CompanyFields, now: NaiveDateTime) -> Company {
    let f = fields;
    Company {
        id: id.to_string(),
        org_id: scope.org_id().to_string(),
        name: f.name,
        sort_name: f.sort_name,
        domain: f.domain,
        industry: f.industry,
        employee_count: f.employee_count,
        annual_revenue_amount: f.annual_revenue_amount,
        annual_revenue_currency: f.annual_revenue_currency,
        addresses: f.addresses,
        parent_id: f.parent_id,
        owner_id: f.owner_id,
        tags: f.tags,
        external_ids: f.external_ids,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        version: 1,
        custom: f.custom,
    }
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &CompanyFields) -> ApiResult<()> {
    let mut set = columns(fields);
    set.push(("updated_at", Piece::Time(crm_core::time::now())));
    crm_core::sql::update_record("companies", scope.org_id(), id, set).execute(conn)?;
    Ok(())
}

/// Live companies whose parent is `id`.
pub fn count_children(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<i64> {
    let org_id = scope.org_id();
    Ok(companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::parent_id.eq(id))
        .filter(companies::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

/// A page of live records in the scope's sight matching the simple filters and every
/// compiled condition.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filters: &Filters,
    conditions: Vec<Condition<companies::table>>,
    plan: &ListPlan,
) -> ApiResult<Vec<Company>> {
    let org_id = scope.org_id();
    let mut query = companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::deleted_at.is_null())
        .select(Company::as_select())
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    if let Some(v) = &filters.owner_id {
        query = query.filter(companies::owner_id.eq(v.clone()));
    }
    if let Some(v) = &filters.parent_id {
        query = query.filter(companies::parent_id.eq(v.clone()));
    }
    if let Some(v) = &filters.domain {
        query = query.filter(companies::domain.eq(v.clone()));
    }
    if let Some(v) = &filters.industry {
        query = query.filter(companies::industry.eq(v.clone()));
    }
    if let Some(tag) = &filters.tag {
        query = query.filter(companies::id.eq_any(crm_core::records::tagged_ids(scope, RECORD_TYPE, tag)));
    }
    for condition in conditions {
        query = query.filter(condition);
    }
    let (order, after) = SORTS.keyset::<companies::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
