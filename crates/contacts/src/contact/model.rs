//! Contact rows and their queries; every query takes the organization.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::filter::{Condition, FieldSpec, Kind};
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::listing::Listing;
use crm_core::schema::{contact_companies, contact_emails, contacts};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use diesel::prelude::*;

pub const RECORD_TYPE: &str = "contact";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "con";

/// Whose a contact is, for record visibility.
pub const OWNER: &str = "contacts.owner_id";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: String,
    pub org_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub sort_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub emails: String,
    pub phones: String,
    pub addresses: String,
    pub job_title: Option<String>,
    pub lifecycle_stage: String,
    pub lead_source: Option<String>,
    pub owner_id: Option<String>,
    pub tags: String,
    pub external_ids: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub version: i64,
    pub custom: String,
}

impl Contact {
    /// The row `fields` make, live, as written with these times (created, updated) and version.
    pub fn of(
        id: &str,
        scope: &Scope,
        fields: ContactFields,
        (created_at, updated_at): (NaiveDateTime, NaiveDateTime),
        version: i64,
    ) -> Contact {
        let f = fields;
        Contact {
            id: id.to_string(),
            org_id: scope.org_id().to_string(),
            first_name: f.first_name,
            last_name: f.last_name,
            sort_name: f.sort_name,
            email: f.email,
            phone: f.phone,
            emails: f.emails,
            phones: f.phones,
            addresses: f.addresses,
            job_title: f.job_title,
            lifecycle_stage: f.lifecycle_stage,
            lead_source: f.lead_source,
            owner_id: f.owner_id,
            tags: f.tags,
            external_ids: f.external_ids,
            created_at,
            updated_at,
            deleted_at: None,
            version,
            custom: f.custom,
        }
    }
}

/// Every stored field but the id, organization, times and version: what create and update write.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = contacts, treat_none_as_default_value = false)]
pub struct ContactFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub sort_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub emails: String,
    pub phones: String,
    pub addresses: String,
    pub job_title: Option<String>,
    pub lifecycle_stage: String,
    pub lead_source: Option<String>,
    pub owner_id: Option<String>,
    pub tags: String,
    pub external_ids: String,
    /// Custom values as a JSON object, checked against the organization's definitions.
    pub custom: String,
}

/// Everything contacts sort by (and `custom.<key>`).
pub static SORTS: Sorts<Contact> = Sorts {
    default: "created_at",
    id_column: "contacts.id",
    id: |c| &c.id,
    custom: |c| &c.custom,
    fields: &[
        SortField {
            name: "created_at",
            column: "contacts.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |c| Some(crm_core::time::format(&c.created_at)),
        },
        SortField {
            name: "updated_at",
            column: "contacts.updated_at",
            kind: SortKind::Time,
            nullable: false,
            value: |c| Some(crm_core::time::format(&c.updated_at)),
        },
        SortField {
            name: "name",
            column: "contacts.sort_name",
            kind: SortKind::Text,
            nullable: false,
            value: |c| Some(c.sort_name.clone()),
        },
        SortField {
            name: "first_name",
            column: "contacts.first_name",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.first_name.clone(),
        },
        SortField {
            name: "last_name",
            column: "contacts.last_name",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.last_name.clone(),
        },
        SortField {
            name: "email",
            column: "contacts.email",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.email.clone(),
        },
        SortField {
            name: "phone",
            column: "contacts.phone",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.phone.clone(),
        },
        SortField {
            name: "job_title",
            column: "contacts.job_title",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.job_title.clone(),
        },
        SortField {
            name: "lifecycle_stage",
            column: "contacts.lifecycle_stage",
            kind: SortKind::Text,
            nullable: false,
            value: |c| Some(c.lifecycle_stage.clone()),
        },
        SortField {
            name: "lead_source",
            column: "contacts.lead_source",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.lead_source.clone(),
        },
        SortField {
            name: "owner_id",
            column: "contacts.owner_id",
            kind: SortKind::Text,
            nullable: true,
            value: |c| c.owner_id.clone(),
        },
    ],
};

/// How contacts are listed and searched.
pub static LISTING: Listing<Contact> =
    Listing { record_type: RECORD_TYPE, sorts: &SORTS, filterable: FILTERABLE, text_fields: TEXT_FIELDS };

pub const FILTERABLE: &[FieldSpec] = &[
    FieldSpec { name: "first_name", column: "contacts.first_name", kind: Kind::Text },
    FieldSpec { name: "last_name", column: "contacts.last_name", kind: Kind::Text },
    FieldSpec { name: "name", column: "contacts.sort_name", kind: Kind::Text },
    FieldSpec { name: "email", column: "contacts.email", kind: Kind::Text },
    FieldSpec { name: "phone", column: "contacts.phone", kind: Kind::Text },
    FieldSpec { name: "job_title", column: "contacts.job_title", kind: Kind::Text },
    FieldSpec { name: "lifecycle_stage", column: "contacts.lifecycle_stage", kind: Kind::Enum(LIFECYCLE_STAGES) },
    FieldSpec { name: "lead_source", column: "contacts.lead_source", kind: Kind::Text },
    FieldSpec { name: "owner_id", column: "contacts.owner_id", kind: Kind::Text },
    FieldSpec { name: "tags", column: "contacts.id", kind: Kind::Tags },
    FieldSpec { name: "created_at", column: "contacts.created_at", kind: Kind::Time },
    FieldSpec { name: "updated_at", column: "contacts.updated_at", kind: Kind::Time },
];

/// Fields the free-text `query` of a search looks in.
pub const TEXT_FIELDS: &[&str] = &["name", "email", "phone"];

pub const LIFECYCLE_STAGES: &[&str] =
    &["subscriber", "lead", "marketing_qualified", "sales_qualified", "opportunity", "customer", "evangelist", "other"];

#[derive(Debug, Default)]
pub struct Filters {
    pub owner_id: Option<String>,
    pub company_id: Option<String>,
    pub lifecycle_stage: Option<String>,
    pub tag: Option<String>,
    pub email: Option<String>,
    pub created_after: Option<NaiveDateTime>,
    pub created_before: Option<NaiveDateTime>,
    pub updated_after: Option<NaiveDateTime>,
    pub updated_before: Option<NaiveDateTime>,
}

/// A live (not deleted) contact in the scope's sight.
pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Contact>> {
    let query = contacts::table
        .filter(contacts::org_id.eq(scope.org_id()))
        .filter(contacts::id.eq(id))
        .filter(contacts::deleted_at.is_null())
        .select(Contact::as_select());
    // Unrestricted, it stays a static query, which diesel prepares once and looks up by type.
    Ok(match scope.visible(RECORD_TYPE, OWNER) {
        None => query.first(conn).optional()?,
        Some(visible) => query.filter(visible).first(conn).optional()?,
    })
}

/// The stored custom values of a contact (live or trashed).
pub fn stored_custom(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<String> {
    let org_id = scope.org_id();
    Ok(contacts::table
        .filter(contacts::org_id.eq(org_id))
        .filter(contacts::id.eq(id))
        .select(contacts::custom)
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// A contact in the trash, in the scope's sight.
pub fn find_deleted(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Contact>> {
    let query = contacts::table
        .filter(contacts::org_id.eq(scope.org_id()))
        .filter(contacts::id.eq(id))
        .filter(contacts::deleted_at.is_not_null())
        .select(Contact::as_select());
    // Unrestricted, it stays a static query, which diesel prepares once and looks up by type.
    Ok(match scope.visible(RECORD_TYPE, OWNER) {
        None => query.first(conn).optional()?,
        Some(visible) => query.filter(visible).first(conn).optional()?,
    })
}

/// A new contact's row, its first version written `now`: its `INSERT`, to run with the
/// creation's other writes.
pub fn insert(scope: &Scope, id: &str, fields: &ContactFields, now: NaiveDateTime) -> Vec<Piece> {
    let mut row = vec![("id", Piece::Text(id.to_string())), ("org_id", Piece::Text(scope.org_id().to_string()))];
    row.extend(columns(fields, true));
    row.extend([("created_at", Piece::Time(now)), ("updated_at", Piece::Time(now)), ("version", Piece::BigInt(1))]);
    crm_core::sql::insert_row("contacts", row)
}

/// A new contact's e-mails: their `INSERT`, none without e-mails.
pub fn insert_emails(scope: &Scope, id: &str, emails: &[String]) -> Option<Vec<Piece>> {
    let text = Piece::text;
    let rows = emails.iter().map(|email| vec![text(scope.org_id()), text(email), text(id)]).collect();
    crm_core::sql::insert_values("contact_emails", &["org_id", "email", "contact_id"], rows)
}

#[derive(Insertable)]
#[diesel(table_name = contacts, treat_none_as_default_value = false)]
struct NewContact<'a> {
    id: &'a str,
    org_id: &'a str,
    #[diesel(embed)]
    fields: ContactFields,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Inserts many new contacts, a multi-row statement per chunk.
pub fn insert_many(conn: &mut DbConnection, scope: &Scope, rows: Vec<(&str, ContactFields)>) -> ApiResult<()> {
    let (org_id, now) = (scope.org_id(), crm_core::time::now());
    let values: Vec<_> = rows
        .into_iter()
        .map(|(id, fields)| NewContact { id, org_id, fields, created_at: now, updated_at: now })
        .collect();
    crm_core::insert_rows!(conn, contacts::table, values, 19)?;
    Ok(())
}

/// Live contacts by id in the scope's sight, in no order (as [`find`] reads one).
pub fn find_many(conn: &mut DbConnection, scope: &Scope, ids: &[&str]) -> ApiResult<Vec<Contact>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(crm_core::db::rows_per_statement(1)) {
        let query = contacts::table
            .filter(contacts::org_id.eq(scope.org_id()))
            .filter(contacts::id.eq_any(chunk))
            .filter(contacts::deleted_at.is_null())
            .select(Contact::as_select())
            .into_boxed();
        found.extend(match scope.visible(RECORD_TYPE, OWNER) {
            None => query.load(conn)?,
            Some(visible) => query.filter(visible).load(conn)?,
        });
    }
    Ok(found)
}

/// The stored fields as columns and values; `custom` only when `with_custom` (an update that
/// leaves it out keeps the stored values, archived fields' values with them).
pub fn columns(fields: &ContactFields, with_custom: bool) -> Vec<(&'static str, Piece)> {
    use Piece::{OptionalText, Text};
    let f = fields.clone();
    let mut set = vec![
        ("first_name", OptionalText(f.first_name)),
        ("last_name", OptionalText(f.last_name)),
        ("sort_name", Text(f.sort_name)),
        ("email", OptionalText(f.email)),
        ("phone", OptionalText(f.phone)),
        ("emails", Text(f.emails)),
        ("phones", Text(f.phones)),
        ("addresses", Text(f.addresses)),
        ("job_title", OptionalText(f.job_title)),
        ("lifecycle_stage", Text(f.lifecycle_stage)),
        ("lead_source", OptionalText(f.lead_source)),
        ("owner_id", OptionalText(f.owner_id)),
        ("tags", Text(f.tags)),
        ("external_ids", Text(f.external_ids)),
    ];
    if with_custom {
        set.push(("custom", Text(f.custom)));
    }
    set
}

/// Writes the fields of many contacts, with one version more each: one `UPDATE … FROM
/// (VALUES …)` per chunk (both databases name the columns of a VALUES list column1, column2…).
pub fn update_many(conn: &mut DbConnection, scope: &Scope, rows: &[(&str, &ContactFields)]) -> ApiResult<()> {
    use crm_core::sql::Statement;
    let Some((_, first)) = rows.first() else {
        return Ok(());
    };
    let names: Vec<&str> = columns(first, true).into_iter().map(|(name, _)| name).collect();
    let set: Vec<String> = names.iter().enumerate().map(|(i, c)| format!("{c} = v.column{}", i + 2)).collect();
    let now = crm_core::time::now();
    for chunk in rows.chunks(crm_core::db::rows_per_statement(names.len() + 1)) {
        let values = chunk
            .iter()
            .map(|(id, fields)| {
                let row = columns(fields, true).into_iter().map(|(_, value)| value);
                std::iter::once(Piece::Text(id.to_string())).chain(row).collect()
            })
            .collect();
        let mut pieces = vec![
            Piece::Sql(format!(
                "UPDATE contacts SET {}, version = contacts.version + 1, updated_at = ",
                set.join(", ")
            )),
            Piece::Time(now),
            Piece::Sql(" FROM (VALUES ".into()),
        ];
        pieces.extend(crm_core::sql::value_rows(values));
        pieces.extend([
            Piece::Sql(") AS v WHERE contacts.org_id = ".into()),
            Piece::Text(scope.org_id().to_string()),
            Piece::Sql(" AND contacts.id = v.column1".into()),
        ]);
        Statement::uncached(pieces).execute(conn)?;
    }
    Ok(())
}

/// Takes the e-mails of these contacts away (before [`add_emails_many`] gives them theirs).
pub fn clear_emails_many(conn: &mut DbConnection, scope: &Scope, ids: &[&str]) -> ApiResult<()> {
    for chunk in ids.chunks(crm_core::db::rows_per_statement(1)) {
        diesel::delete(
            contact_emails::table
                .filter(contact_emails::org_id.eq(scope.org_id()))
                .filter(contact_emails::contact_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// The live contact holding any of these e-mails, other than `except`.
pub fn holder_of_emails(
    conn: &mut DbConnection,
    scope: &Scope,
    emails: &[String],
    except: Option<&str>,
) -> ApiResult<Option<(String, String)>> {
    let org_id = scope.org_id();
    if emails.is_empty() {
        return Ok(None);
    }
    let mut query = contact_emails::table
        .filter(contact_emails::org_id.eq(org_id))
        .filter(contact_emails::email.eq_any(emails))
        .select((contact_emails::contact_id, contact_emails::email))
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(contact_emails::contact_id.ne(except.to_string()));
    }
    Ok(query.first(conn).optional()?)
}

/// Which of `emails` live contacts hold, and who: one query per chunk.
pub fn holders_of_emails(
    conn: &mut DbConnection,
    scope: &Scope,
    emails: &[&str],
) -> ApiResult<HashMap<String, String>> {
    let mut holders = HashMap::new();
    for chunk in emails.chunks(crm_core::db::rows_per_statement(1)) {
        let found: Vec<(String, String)> = contact_emails::table
            .filter(contact_emails::org_id.eq(scope.org_id()))
            .filter(contact_emails::email.eq_any(chunk))
            .select((contact_emails::email, contact_emails::contact_id))
            .load(conn)?;
        holders.extend(found);
    }
    Ok(holders)
}

/// The e-mails of many new contacts, a multi-row statement per chunk.
pub fn add_emails_many(conn: &mut DbConnection, scope: &Scope, emails: &[(&str, &str)]) -> ApiResult<()> {
    let org_id = scope.org_id();
    let values: Vec<_> = emails
        .iter()
        .map(|(id, email)| {
            (contact_emails::org_id.eq(org_id), contact_emails::email.eq(*email), contact_emails::contact_id.eq(*id))
        })
        .collect();
    crm_core::insert_rows!(conn, contact_emails::table, values, 3)?;
    Ok(())
}

/// Replaces the e-mails a contact holds (none while it is in the trash).
pub fn set_emails(conn: &mut DbConnection, scope: &Scope, id: &str, emails: &[String]) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::delete(
        contact_emails::table.filter(contact_emails::org_id.eq(org_id)).filter(contact_emails::contact_id.eq(id)),
    )
    .execute(conn)?;
    for email in emails {
        diesel::insert_into(contact_emails::table)
            .values((
                contact_emails::org_id.eq(org_id),
                contact_emails::email.eq(email),
                contact_emails::contact_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A page of live records in the scope's sight matching the simple filters and every
/// compiled condition.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filters: &Filters,
    conditions: Vec<Condition<contacts::table>>,
    plan: &ListPlan,
) -> ApiResult<Vec<Contact>> {
    let org_id = scope.org_id();
    let mut query = contacts::table
        .filter(contacts::org_id.eq(org_id))
        .filter(contacts::deleted_at.is_null())
        .select(Contact::as_select())
        .into_boxed();
    if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
        query = query.filter(visible);
    }
    if let Some(owner) = &filters.owner_id {
        query = query.filter(contacts::owner_id.eq(owner.clone()));
    }
    if let Some(stage) = &filters.lifecycle_stage {
        query = query.filter(contacts::lifecycle_stage.eq(stage.clone()));
    }
    if let Some(email) = &filters.email {
        let holders = contact_emails::table
            .filter(contact_emails::org_id.eq(org_id.to_string()))
            .filter(contact_emails::email.eq(email.clone()))
            .select(contact_emails::contact_id);
        query = query.filter(contacts::id.eq_any(holders));
    }
    if let Some(company) = &filters.company_id {
        let linked = contact_companies::table
            .filter(contact_companies::org_id.eq(org_id.to_string()))
            .filter(contact_companies::company_id.eq(company.clone()))
            .select(contact_companies::contact_id);
        query = query.filter(contacts::id.eq_any(linked));
    }
    if let Some(tag) = &filters.tag {
        query = query.filter(contacts::id.eq_any(crm_core::records::tagged_ids(scope, RECORD_TYPE, tag)));
    }
    if let Some(t) = filters.created_after {
        query = query.filter(contacts::created_at.ge(t));
    }
    if let Some(t) = filters.created_before {
        query = query.filter(contacts::created_at.lt(t));
    }
    if let Some(t) = filters.updated_after {
        query = query.filter(contacts::updated_at.ge(t));
    }
    if let Some(t) = filters.updated_before {
        query = query.filter(contacts::updated_at.lt(t));
    }
    for condition in conditions {
        query = query.filter(condition);
    }
    let (order, after) = SORTS.keyset::<contacts::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
