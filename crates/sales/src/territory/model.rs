//! Territory rows, the companies aligned to them, and their queries; every query takes the
//! organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

use crate::schema::{company_territories as aligned, territories};

pub const RECORD_TYPE: &str = "territory";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "terr";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = territories)]
pub struct Territory {
    pub id: String,
    pub name: String,
    pub countries: String,
    pub regions: String,
    pub industries: String,
    pub min_employees: Option<i64>,
    pub max_employees: Option<i64>,
    pub owner_id: Option<String>,
    pub priority: i32,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a territory takes, and who owns it. Countries are upper-cased, regions and industries
/// lower-cased, so matching ignores case.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TerritoryFields {
    pub name: String,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub industries: Vec<String>,
    pub min_employees: Option<i64>,
    pub max_employees: Option<i64>,
    pub owner_id: Option<String>,
    pub priority: i32,
    pub active: bool,
}

/// What a territory looks at in a company.
pub struct CompanyFacts {
    /// Of every address, upper-cased.
    pub countries: Vec<String>,
    /// Of every address, lower-cased.
    pub regions: Vec<String>,
    pub industry: Option<String>,
    pub employees: Option<i64>,
}

impl CompanyFacts {
    pub fn of(company: &crm_contacts::company::model::Company) -> Self {
        let addresses: Vec<serde_json::Value> = serde_json::from_str(&company.addresses).unwrap_or_default();
        let field = |name: &str, case: fn(&str) -> String| -> Vec<String> {
            addresses.iter().filter_map(|a| a.get(name)?.as_str().map(|v| case(v.trim()))).collect()
        };
        CompanyFacts {
            countries: field("country", str::to_uppercase),
            regions: field("region", str::to_lowercase),
            industry: company.industry.as_deref().map(|i| i.trim().to_lowercase()),
            employees: company.employee_count,
        }
    }
}

impl TerritoryFields {
    pub fn of(t: &Territory) -> Self {
        let list = |json: &str| serde_json::from_str(json).unwrap_or_default();
        TerritoryFields {
            name: t.name.clone(),
            countries: list(&t.countries),
            regions: list(&t.regions),
            industries: list(&t.industries),
            min_employees: t.min_employees,
            max_employees: t.max_employees,
            owner_id: t.owner_id.clone(),
            priority: t.priority,
            active: t.active,
        }
    }

    /// Whether the company meets every criterion set (an empty list or an absent bound asks
    /// nothing; a bound needs a known size).
    pub fn takes(&self, company: &CompanyFacts) -> bool {
        let any = |wanted: &[String], have: &[String]| wanted.is_empty() || have.iter().any(|h| wanted.contains(h));
        any(&self.countries, &company.countries)
            && any(&self.regions, &company.regions)
            && (self.industries.is_empty() || company.industry.as_ref().is_some_and(|i| self.industries.contains(i)))
            && self.min_employees.is_none_or(|min| company.employees.is_some_and(|n| n >= min))
            && self.max_employees.is_none_or(|max| company.employees.is_some_and(|n| n <= max))
    }
}

pub static SORTS: Sorts<Territory> = Sorts {
    default: "priority",
    id_column: "territories.id",
    id: |t| &t.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "priority",
            column: "territories.priority",
            kind: SortKind::Number,
            nullable: false,
            value: |t| Some(f64::from(t.priority).to_string()),
        },
        SortField {
            name: "created_at",
            column: "territories.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |t| Some(crm_core::time::format(&t.created_at)),
        },
        SortField {
            name: "name",
            column: "territories.name",
            kind: SortKind::Text,
            nullable: false,
            value: |t| Some(t.name.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Territory>> {
    Ok(territories::table
        .filter(territories::org_id.eq(scope.org_id()))
        .filter(territories::id.eq(id))
        .select(Territory::as_select())
        .first(conn)
        .optional()?)
}

/// The organization's active territories in the order they are tried (priority, then age).
pub fn active(conn: &mut DbConnection, org_id: &str) -> ApiResult<Vec<Territory>> {
    Ok(territories::table
        .filter(territories::org_id.eq(org_id))
        .filter(territories::active.eq(true))
        .order((territories::priority.asc(), territories::created_at.asc(), territories::id.asc()))
        .select(Territory::as_select())
        .load(conn)?)
}

pub fn save(conn: &mut DbConnection, scope: &Scope, id: &str, f: &TerritoryFields, exists: bool) -> ApiResult<()> {
    let json = |list: &[String]| serde_json::to_string(list).unwrap_or_else(|_| "[]".into());
    let values = (
        territories::name.eq(&f.name),
        territories::countries.eq(json(&f.countries)),
        territories::regions.eq(json(&f.regions)),
        territories::industries.eq(json(&f.industries)),
        territories::min_employees.eq(f.min_employees),
        territories::max_employees.eq(f.max_employees),
        territories::owner_id.eq(&f.owner_id),
        territories::priority.eq(f.priority),
        territories::active.eq(f.active),
    );
    if exists {
        diesel::update(
            territories::table.filter(territories::org_id.eq(scope.org_id())).filter(territories::id.eq(id)),
        )
        .set(values)
        .execute(conn)?;
    } else {
        let now = crm_core::time::now();
        diesel::insert_into(territories::table)
            .values((
                territories::id.eq(id),
                territories::org_id.eq(scope.org_id()),
                values,
                territories::created_at.eq(now),
                territories::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(territories::table.filter(territories::org_id.eq(scope.org_id())).filter(territories::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConnection, scope: &Scope, plan: &ListPlan) -> ApiResult<Vec<Territory>> {
    let mut query = territories::table
        .filter(territories::org_id.eq(scope.org_id().to_string()))
        .select(Territory::as_select())
        .into_boxed();
    let (order, after) = SORTS.keyset::<territories::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// A company's alignment: its territory, and the owner that territory gave it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = aligned)]
pub struct Alignment {
    pub company_id: String,
    pub territory_id: String,
    pub owner_id: Option<String>,
    pub assigned_at: NaiveDateTime,
}

pub static ALIGNMENT_SORTS: Sorts<Alignment> = Sorts {
    default: "company_id",
    id_column: "company_territories.company_id",
    id: |a| &a.company_id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "company_id",
            column: "company_territories.company_id",
            kind: SortKind::Text,
            nullable: false,
            value: |a| Some(a.company_id.clone()),
        },
        SortField {
            name: "assigned_at",
            column: "company_territories.assigned_at",
            kind: SortKind::Time,
            nullable: false,
            value: |a| Some(crm_core::time::format(&a.assigned_at)),
        },
    ],
};

/// The alignments of these companies.
pub fn alignments(conn: &mut DbConnection, org_id: &str, company_ids: &[&str]) -> ApiResult<Vec<Alignment>> {
    Ok(aligned::table
        .filter(aligned::org_id.eq(org_id))
        .filter(aligned::company_id.eq_any(company_ids))
        .select(Alignment::as_select())
        .load(conn)?)
}

/// Records a company's territory (none: it is in no territory any more). An upsert: two
/// alignments at once both succeed, the later one last.
pub fn align(
    conn: &mut DbConnection,
    org_id: &str,
    company_id: &str,
    territory: Option<(&str, Option<&str>)>,
) -> ApiResult<()> {
    let Some((territory_id, owner_id)) = territory else {
        diesel::delete(aligned::table.filter(aligned::org_id.eq(org_id)).filter(aligned::company_id.eq(company_id)))
            .execute(conn)?;
        return Ok(());
    };
    let mut upsert = crm_core::sql::insert_row(
        "company_territories",
        vec![
            ("org_id", Piece::Text(org_id.to_string())),
            ("company_id", Piece::Text(company_id.to_string())),
            ("territory_id", Piece::Text(territory_id.to_string())),
            ("owner_id", Piece::OptionalText(owner_id.map(str::to_string))),
            ("assigned_at", Piece::Time(crm_core::time::now())),
        ],
    );
    upsert.push(Piece::Sql(
        " ON CONFLICT (org_id, company_id) DO UPDATE SET territory_id = excluded.territory_id, \
         owner_id = excluded.owner_id, assigned_at = excluded.assigned_at"
            .into(),
    ));
    crm_core::sql::Statement::uncached(upsert).execute(conn)?;
    Ok(())
}

/// A page of the companies aligned to a territory.
pub fn companies_of(
    conn: &mut DbConnection,
    scope: &Scope,
    territory_id: &str,
    plan: &ListPlan,
) -> ApiResult<Vec<Alignment>> {
    let mut query = aligned::table
        .filter(aligned::org_id.eq(scope.org_id().to_string()))
        .filter(aligned::territory_id.eq(territory_id.to_string()))
        .select(Alignment::as_select())
        .into_boxed();
    let (order, after) = ALIGNMENT_SORTS.keyset::<aligned::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
