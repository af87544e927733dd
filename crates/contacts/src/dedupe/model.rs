//! What the duplicate finder and merge read and write.

use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::schema::{activity_links, companies, contact_companies, contact_emails, contacts};
use crm_core::scope::Scope;
use diesel::prelude::*;

use super::matcher::Candidate;
use crate::common::Address;
use crate::company::model as company;
use crate::contact::model as contact;

/// Contacts scanned per query while loading a whole organization.
const CHUNK: i64 = 10_000;

type ContactRow = (String, Option<String>, Option<String>, String, String, String);

fn contact_candidates(conn: &mut DbConnection, scope: &Scope, rows: Vec<ContactRow>) -> ApiResult<Vec<Candidate>> {
    let org_id = scope.org_id();
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    let mut links: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        let found: Vec<(String, String)> = contact_companies::table
            .filter(contact_companies::org_id.eq(org_id))
            .filter(contact_companies::contact_id.eq_any(chunk))
            .select((contact_companies::contact_id, contact_companies::company_id))
            .load(conn)?;
        for (contact, company) in found {
            links.entry(contact).or_default().push(company);
        }
    }
    Ok(rows
        .into_iter()
        .map(|(id, first, last, emails, phones, addresses)| {
            let emails: Vec<crate::contact::dto::EmailEntry> = serde_json::from_str(&emails).unwrap_or_default();
            let phones: Vec<crate::contact::dto::PhoneEntry> = serde_json::from_str(&phones).unwrap_or_default();
            Candidate {
                name: [first, last].into_iter().flatten().collect::<Vec<_>>().join(" "),
                emails: emails.into_iter().map(|e| e.address).collect(),
                phones: phones.into_iter().map(|p| p.number).collect(),
                addresses: address_parts(&addresses),
                companies: links.remove(&id).unwrap_or_default(),
                domain: None,
                id,
            }
        })
        .collect())
}

fn address_parts(json: &str) -> Vec<(String, String, String)> {
    let addresses: Vec<Address> = serde_json::from_str(json).unwrap_or_default();
    addresses
        .into_iter()
        .map(|a| (a.line1.unwrap_or_default(), a.city.unwrap_or_default(), a.postal_code.unwrap_or_default()))
        .collect()
}

/// Every live contact in the scope's sight, read in id order a chunk at a time.
pub fn all_contacts(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Vec<Candidate>> {
    let org_id = scope.org_id();
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let mut query = contacts::table
            .filter(contacts::org_id.eq(org_id))
            .filter(contacts::deleted_at.is_null())
            .filter(contacts::id.gt(after.clone()))
            .into_boxed();
        if let Some(visible) = scope.visible(contact::RECORD_TYPE, contact::OWNER) {
            query = query.filter(visible);
        }
        let rows: Vec<ContactRow> = query
            .order(contacts::id.asc())
            .limit(CHUNK)
            .select((
                contacts::id,
                contacts::first_name,
                contacts::last_name,
                contacts::emails,
                contacts::phones,
                contacts::addresses,
            ))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0.clone();
        let full = rows.len() as i64 == CHUNK;
        out.extend(contact_candidates(conn, scope, rows)?);
        if !full {
            break;
        }
    }
    Ok(out)
}

/// Ids of records of `record_type` with a word starting like one of the three longest words of
/// each candidate's name (through the search index).
fn named_like(
    conn: &mut DbConnection,
    scope: &Scope,
    record_type: &'static str,
    candidates: &[Candidate],
) -> ApiResult<Vec<String>> {
    let mut words: Vec<String> = Vec::new();
    for candidate in candidates {
        let mut mine: Vec<String> = crm_core::search_index::tokens(&candidate.name).filter(|w| w.len() >= 3).collect();
        mine.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.extend(mine.into_iter().take(3));
    }
    words.sort();
    words.dedup();
    let mut ids = Vec::new();
    for word in words {
        let hits = crm_core::search_index::search(conn, scope, &word, &[record_type], 200)?;
        ids.extend(hits.into_iter().map(|h| h.record_id));
    }
    Ok(ids)
}

/// Live contacts in the scope's sight sharing an e-mail or primary phone with the
/// candidates, or a name word.
pub fn contacts_like(conn: &mut DbConnection, scope: &Scope, candidates: &[Candidate]) -> ApiResult<Vec<Candidate>> {
    let org_id = scope.org_id();
    let emails: Vec<&String> = candidates.iter().flat_map(|c| &c.emails).collect();
    let phones: Vec<&String> = candidates.iter().flat_map(|c| &c.phones).collect();
    let mut ids = named_like(conn, scope, contact::RECORD_TYPE, candidates)?;
    if !emails.is_empty() {
        ids.extend(
            contact_emails::table
                .filter(contact_emails::org_id.eq(org_id))
                .filter(contact_emails::email.eq_any(emails))
                .select(contact_emails::contact_id)
                .load::<String>(conn)?,
        );
    }
    if !phones.is_empty() {
        ids.extend(
            contacts::table
                .filter(contacts::org_id.eq(org_id))
                .filter(contacts::deleted_at.is_null())
                .filter(contacts::phone.eq_any(phones))
                .select(contacts::id)
                .limit(1000)
                .load::<String>(conn)?,
        );
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ids.sort();
    ids.dedup();
    let mut query = contacts::table
        .filter(contacts::org_id.eq(org_id))
        .filter(contacts::deleted_at.is_null())
        .filter(contacts::id.eq_any(ids))
        .into_boxed();
    if let Some(visible) = scope.visible(contact::RECORD_TYPE, contact::OWNER) {
        query = query.filter(visible);
    }
    let rows: Vec<ContactRow> = query
        .select((
            contacts::id,
            contacts::first_name,
            contacts::last_name,
            contacts::emails,
            contacts::phones,
            contacts::addresses,
        ))
        .load(conn)?;
    contact_candidates(conn, scope, rows)
}

type CompanyRow = (String, String, Option<String>, String);

fn company_candidates(rows: Vec<CompanyRow>) -> Vec<Candidate> {
    rows.into_iter()
        .map(|(id, name, domain, addresses)| Candidate {
            id,
            name,
            domain,
            addresses: address_parts(&addresses),
            ..Default::default()
        })
        .collect()
}

/// Every live company in the scope's sight.
pub fn all_companies(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Vec<Candidate>> {
    let mut query = companies::table
        .filter(companies::org_id.eq(scope.org_id()))
        .filter(companies::deleted_at.is_null())
        .into_boxed();
    if let Some(visible) = scope.visible(company::RECORD_TYPE, company::OWNER) {
        query = query.filter(visible);
    }
    let rows: Vec<CompanyRow> = query
        .order(companies::id.asc())
        .select((companies::id, companies::name, companies::domain, companies::addresses))
        .load(conn)?;
    Ok(company_candidates(rows))
}

/// Live companies in the scope's sight sharing a domain with the candidates, or a name word.
pub fn companies_like(conn: &mut DbConnection, scope: &Scope, candidates: &[Candidate]) -> ApiResult<Vec<Candidate>> {
    let org_id = scope.org_id();
    let domains: Vec<&String> = candidates.iter().filter_map(|c| c.domain.as_ref()).collect();
    let mut ids = named_like(conn, scope, company::RECORD_TYPE, candidates)?;
    if !domains.is_empty() {
        ids.extend(
            companies::table
                .filter(companies::org_id.eq(org_id))
                .filter(companies::deleted_at.is_null())
                .filter(companies::domain.eq_any(domains))
                .select(companies::id)
                .load::<String>(conn)?,
        );
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ids.sort();
    ids.dedup();
    let mut query = companies::table
        .filter(companies::org_id.eq(org_id))
        .filter(companies::deleted_at.is_null())
        .filter(companies::id.eq_any(ids))
        .into_boxed();
    if let Some(visible) = scope.visible(company::RECORD_TYPE, company::OWNER) {
        query = query.filter(visible);
    }
    let rows: Vec<CompanyRow> =
        query.select((companies::id, companies::name, companies::domain, companies::addresses)).load(conn)?;
    Ok(company_candidates(rows))
}

/// Marks a contact as merged into another (it is in the trash from then on).
pub fn set_merged(conn: &mut DbConnection, scope: &Scope, id: &str, into: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(contacts::table.filter(contacts::org_id.eq(org_id)).filter(contacts::id.eq(id)))
        .set((
            contacts::merged_into.eq(into),
            contacts::deleted_at.eq(crm_core::time::now()),
            contacts::version.eq(contacts::version + 1),
            contacts::updated_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The contact a merged contact went into.
pub fn merged_into(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<String>> {
    let org_id = scope.org_id();
    Ok(contacts::table
        .filter(contacts::org_id.eq(org_id))
        .filter(contacts::id.eq(id))
        .select(contacts::merged_into)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Moves the activity links of `from` to `to` (dropping those `to` already has); returns how many moved.
pub fn move_activities(conn: &mut DbConnection, scope: &Scope, from: &str, to: &str) -> ApiResult<usize> {
    let org_id = scope.org_id();
    let held: Vec<String> = activity_links::table
        .filter(activity_links::org_id.eq(org_id))
        .filter(activity_links::record_type.eq("contact"))
        .filter(activity_links::record_id.eq(to))
        .select(activity_links::activity_id)
        .load(conn)?;
    let mine = activity_links::table
        .filter(activity_links::org_id.eq(org_id))
        .filter(activity_links::record_type.eq("contact"))
        .filter(activity_links::record_id.eq(from));
    let moved = if held.is_empty() {
        diesel::update(mine).set(activity_links::record_id.eq(to)).execute(conn)?
    } else {
        diesel::update(mine.filter(activity_links::activity_id.ne_all(&held)))
            .set(activity_links::record_id.eq(to))
            .execute(conn)?
    };
    diesel::delete(mine).execute(conn)?;
    Ok(moved)
}

/// Moves the company links of `from` to `to` (keeping `to`'s own, and its primary); returns how many moved.
pub fn move_company_links(conn: &mut DbConnection, scope: &Scope, from: &str, to: &str) -> ApiResult<usize> {
    let org_id = scope.org_id();
    let held: Vec<String> = contact_companies::table
        .filter(contact_companies::org_id.eq(org_id))
        .filter(contact_companies::contact_id.eq(to))
        .select(contact_companies::company_id)
        .load(conn)?;
    let mine = contact_companies::table
        .filter(contact_companies::org_id.eq(org_id))
        .filter(contact_companies::contact_id.eq(from));
    // Without links of its own, `to` takes `from`'s as they are (primary included).
    let moved = if held.is_empty() {
        diesel::update(mine).set(contact_companies::contact_id.eq(to)).execute(conn)?
    } else {
        diesel::update(mine.filter(contact_companies::company_id.ne_all(&held)))
            .set((contact_companies::contact_id.eq(to), contact_companies::is_primary.eq(false)))
            .execute(conn)?
    };
    diesel::delete(mine).execute(conn)?;
    Ok(moved)
}
