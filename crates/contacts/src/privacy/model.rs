//! Erased e-mail hashes, erasure records, and the queries an erasure needs across tables.

use chrono::NaiveDateTime;
use crm_core::auth::secrets::Keys;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::schema::{
    activities, activity_links, audit_log, contact_companies, contact_erasures, contacts, erased_emails, events,
    idempotency_keys,
};
use diesel::prelude::*;

use crate::contact::model::Contact;
use crm_core::scope::Scope;

use crm_core::privacy::{contains_pattern, mentions_any};
pub use crm_core::privacy::{erased_among, is_erased};

/// Keeps the hash of an erased e-mail (once).
pub fn remember_erased(conn: &mut DbConnection, keys: &Keys, scope: &Scope, email: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    let hash = keys.hash_erased_email(email);
    if is_erased(conn, keys, scope, email)? {
        return Ok(());
    }
    diesel::insert_into(erased_emails::table)
        .values((
            erased_emails::org_id.eq(org_id),
            erased_emails::email_hash.eq(hash),
            erased_emails::erased_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets an erased e-mail's hash; returns whether there was one.
pub fn forget_erased(conn: &mut DbConnection, keys: &Keys, scope: &Scope, email: &str) -> ApiResult<bool> {
    let org_id = scope.org_id();
    let hash = keys.hash_erased_email(email);
    Ok(diesel::delete(erased_emails::table.find((org_id, hash))).execute(conn)? > 0)
}

/// A contact, live or in the trash.
pub fn find_contact(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Contact>> {
    let org_id = scope.org_id();
    Ok(contacts::table
        .filter(contacts::org_id.eq(org_id))
        .filter(contacts::id.eq(id))
        .select(Contact::as_select())
        .first(conn)
        .optional()?)
}

pub fn erased_at(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<Option<NaiveDateTime>> {
    let org_id = scope.org_id();
    Ok(contact_erasures::table.find((org_id, contact_id)).select(contact_erasures::erased_at).first(conn).optional()?)
}

pub fn insert_erasure(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
    actor: &crm_core::auth::Actor,
) -> ApiResult<NaiveDateTime> {
    let org_id = scope.org_id();
    let now = crm_core::time::now();
    diesel::insert_into(contact_erasures::table)
        .values((
            contact_erasures::org_id.eq(org_id),
            contact_erasures::contact_id.eq(contact_id),
            contact_erasures::actor_type.eq(actor.actor_type()),
            contact_erasures::actor_id.eq(actor.principal_id()),
            contact_erasures::erased_at.eq(now),
        ))
        .execute(conn)?;
    Ok(now)
}

/// Removes every contact–company link of the contact; returns how many.
pub fn delete_company_links(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<usize> {
    let org_id = scope.org_id();
    Ok(diesel::delete(
        contact_companies::table
            .filter(contact_companies::org_id.eq(org_id))
            .filter(contact_companies::contact_id.eq(contact_id)),
    )
    .execute(conn)?)
}

/// Ids of the activities about this contact, live or trashed.
pub fn activity_ids_about(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<Vec<String>> {
    let org_id = scope.org_id();
    Ok(activity_links::table
        .filter(activity_links::org_id.eq(org_id))
        .filter(activity_links::record_type.eq("contact"))
        .filter(activity_links::record_id.eq(contact_id))
        .select(activity_links::activity_id)
        .load(conn)?)
}

/// Ids of the organization's activities whose text mentions any needle (case-insensitive).
pub fn activity_ids_mentioning(conn: &mut DbConnection, scope: &Scope, needles: &[String]) -> ApiResult<Vec<String>> {
    let org_id = scope.org_id();
    if needles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(activities::table
        .filter(activities::org_id.eq(org_id))
        .filter(
            mentions_any::<activities::table>("activities.subject", needles)
                .or(mentions_any::<activities::table>("activities.body", needles))
                .or(mentions_any::<activities::table>("activities.outcome", needles))
                .or(mentions_any::<activities::table>("activities.attendees", needles)),
        )
        .select(activities::id)
        .load(conn)?)
}

/// Audit rows: (id, changes) of the organization's entries that mention any needle.
pub fn audit_mentioning(
    conn: &mut DbConnection,
    scope: &Scope,
    needles: &[String],
) -> ApiResult<Vec<(String, String)>> {
    let org_id = scope.org_id();
    if needles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(audit_log::table
        .filter(audit_log::org_id.eq(org_id))
        .filter(mentions_any::<audit_log::table>("audit_log.changes", needles))
        .select((audit_log::id, audit_log::changes))
        .load(conn)?)
}

/// Audit rows: (id, changes) of the entries about these records.
pub fn audit_about(
    conn: &mut DbConnection,
    scope: &Scope,
    resource_type: &str,
    ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    let org_id = scope.org_id();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(audit_log::table
        .filter(audit_log::org_id.eq(org_id))
        .filter(audit_log::resource_type.eq(resource_type))
        .filter(audit_log::resource_id.eq_any(ids))
        .select((audit_log::id, audit_log::changes))
        .load(conn)?)
}

pub fn set_audit_changes(conn: &mut DbConnection, scope: &Scope, id: &str, changes: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(audit_log::table.filter(audit_log::org_id.eq(org_id)).filter(audit_log::id.eq(id)))
        .set(audit_log::changes.eq(changes))
        .execute(conn)?;
    Ok(())
}

/// Events: (id, data) of the organization's events that mention any of the `texts`
/// (case-insensitive) or any of the `ids` (exactly: ids are lower-case, and matching them
/// without `lower()` keeps the one scan cheap).
pub fn events_mentioning(
    conn: &mut DbConnection,
    scope: &Scope,
    texts: &[String],
    ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    let org_id = scope.org_id();
    if texts.is_empty() && ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut condition = mentions_any::<events::table>("events.data", texts);
    for id in ids {
        condition = Box::new(condition.or(events::data.like(contains_pattern(id)).escape('\\')));
    }
    Ok(events::table
        .filter(events::org_id.eq(org_id))
        .filter(condition)
        .select((events::id, events::data))
        .load(conn)?)
}

pub fn set_event_data(conn: &mut DbConnection, scope: &Scope, id: &str, data: &str) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(events::table.filter(events::org_id.eq(org_id)).filter(events::id.eq(id)))
        .set(events::data.eq(data))
        .execute(conn)?;
    Ok(())
}

/// Forgets stored idempotent responses that mention any needle (a retry then runs again).
pub fn forget_responses_mentioning(conn: &mut DbConnection, scope: &Scope, needles: &[String]) -> ApiResult<usize> {
    let org_id = scope.org_id();
    let filter = mentions_any::<idempotency_keys::table>("COALESCE(idempotency_keys.response_body, '')", needles);
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::org_id.eq(org_id)).filter(filter))
        .execute(conn)?)
}

/// The contact's audit entries, oldest first (its whole history; capped for safety).
pub fn history(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
) -> ApiResult<Vec<crm_core::audit::model::AuditEntry>> {
    let org_id = scope.org_id();
    Ok(audit_log::table
        .filter(audit_log::org_id.eq(org_id))
        .filter(audit_log::resource_type.eq("contact"))
        .filter(audit_log::resource_id.eq(contact_id))
        .order((audit_log::created_at.asc(), audit_log::id.asc()))
        .limit(100_000)
        .select(crm_core::audit::model::AuditEntry::as_select())
        .load(conn)?)
}

/// What an erasure leaves of an activity's personal text.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = activities, treat_none_as_null = true)]
pub struct ScrubbedActivity {
    pub subject: Option<String>,
    pub body: Option<String>,
    pub outcome: Option<String>,
    pub attendees: String,
    pub message_id: Option<String>,
}

pub fn scrub_activity(conn: &mut DbConnection, scope: &Scope, id: &str, fields: &ScrubbedActivity) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(activities::table.filter(activities::org_id.eq(org_id)).filter(activities::id.eq(id)))
        .set((
            fields,
            activities::version.eq(activities::version + 1),
            activities::updated_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An activity by id, live or trashed.
pub fn find_activity(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
) -> ApiResult<Option<crate::activity::model::Activity>> {
    let org_id = scope.org_id();
    Ok(activities::table
        .filter(activities::org_id.eq(org_id))
        .filter(activities::id.eq(id))
        .select(crate::activity::model::Activity::as_select())
        .first(conn)
        .optional()?)
}
