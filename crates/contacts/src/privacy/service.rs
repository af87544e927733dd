//! Personal-data export, erasure, and the erased-e-mail guard contacts' writes go through.

use std::collections::BTreeSet;

use crm_core::audit::dto::AuditEntryOut;
use crm_core::auth::secrets::Keys;
use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::privacy::{ERASED, Erasure, Scrubbed, scrub_text, text_mentions};
use crm_core::records;
use crm_core::registry::Domain;
use crm_core::state::AppState;
use serde_json::{Map, Value, json};

use super::dto::{ErasureOut, PersonalDataOut, ReleaseIn};
use super::model::{self, ScrubbedActivity};
use crate::activity::dto::ActivityOut;
use crate::contact::dto::ContactOut;
use crate::contact::model::{ContactFields, RECORD_TYPE};
use crate::link::dto::ContactCompany;
use crate::normalize::Email;
use crate::permissions;
use crm_core::scope::Scope;

/// The name an erased contact keeps.
const ERASED_NAME: &str = "Erased contact";

/// 409 `erased_contact` when any of these (normalized) e-mails belonged to an erased contact.
/// Called by the contact service before it stores a contact (create, update, upsert, batch,
/// restore); `POST /v1/erased-emails/release` is the explicit way to accept such an address again.
pub fn refuse_erased(conn: &mut DbConnection, keys: &Keys, scope: &Scope, emails: &[String]) -> ApiResult<()> {
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    match model::erased_among(conn, keys, scope, &emails)?.first() {
        Some(email) => Err(erased(email)),
        None => Ok(()),
    }
}

/// The 409 for an e-mail of an erased contact.
pub fn erased(email: &str) -> ApiError {
    ApiError::conflict(
        "erased_contact",
        format!(
            "{email} belonged to a contact who was erased at their request. To accept the address again, an \
             admin releases it with POST /v1/erased-emails/release."
        ),
    )
}

pub async fn export(state: &AppState, actor: &Actor, contact_id: String) -> ApiResult<PersonalDataOut> {
    actor.require(permissions::PRIVACY, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let row = model::find_contact(conn, &scope, &contact_id)?.ok_or_else(|| ApiError::not_found("contact"))?;
            let deleted_at = row.deleted_at;
            let contact = ContactOut::from(row);
            let companies = crate::link::model::for_contact(conn, &scope, &contact_id)?
                .into_iter()
                .map(|(link, company)| ContactCompany {
                    company: company.into(),
                    role: link.role,
                    primary: link.is_primary,
                })
                .collect();
            let mut activities = Vec::new();
            for id in model::activity_ids_about(conn, &scope, &contact_id)? {
                if let Some(activity) = model::find_activity(conn, &scope, &id)? {
                    let targets = crate::activity::model::targets(conn, &scope, &id)?;
                    activities.push(ActivityOut::from_parts(activity, targets));
                }
            }
            activities.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
            let emails: Vec<String> = contact.emails.iter().map(|e| e.address.clone()).collect();
            Ok(PersonalDataOut {
                deleted_at,
                erased_at: model::erased_at(conn, &scope, &contact_id)?,
                companies,
                activities,
                consents: crate::consent::service::all_channels(conn, &scope, &contact_id)?,
                subscriptions: crate::subscription::service::all_for_contact(conn, &scope, &contact_id)?,
                email_suppressions: crate::suppression::model::for_emails(conn, &scope, &emails)?
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                history: model::history(conn, &scope, &contact_id)?.into_iter().map(AuditEntryOut::from).collect(),
                mail_messages: crm_core::mail::model::to_any(conn, &scope, &emails)?
                    .into_iter()
                    .map(crm_core::mail::dto::MailOut::from)
                    .collect(),
                exported_at: crm_core::time::now(),
                contact,
            })
        })
        .await
}

/// Accepts an erased person's e-mail again: contacts may be created with it from now on.
pub async fn release(state: &AppState, actor: &Actor, input: ReleaseIn) -> ApiResult<()> {
    actor.require(permissions::PRIVACY, Action::Write)?;
    let email = Email::parse(&input.email)
        .map_err(|detail| ApiError::invalid_field("/email", "invalid_email", detail))?
        .into_string();
    let (actor, keys) = (actor.clone(), state.keys.clone());
    state
        .db
        .write(move |conn| {
            let hash = keys.hash_erased_email(&email);
            if !model::forget_erased(conn, &keys, &actor.scope(), &email)? {
                return Err(ApiError::not_found("erased e-mail"));
            }
            // The hash names the entry; the address itself is not written anywhere.
            let after = json!({"id": hash});
            change::record(
                conn,
                &actor,
                Change { resource: "erased_email", id: &hash, action: "released", before: None, after: Some(&after) },
            )
        })
        .await
}

/// Scrubs one activity: all its text when it is about no other contact, else the person's
/// e-mails, phones and name. Attendee entries naming the person go either way.
fn scrub_activity(
    conn: &mut DbConnection,
    scope: &Scope,
    contact_id: &str,
    activity_id: &str,
    needles: &[String],
) -> ApiResult<bool> {
    let Some(activity) = model::find_activity(conn, scope, activity_id)? else {
        return Ok(false);
    };
    let targets = crate::activity::model::targets(conn, scope, activity_id)?;
    let linked = targets.iter().any(|t| t.record_type == "contact" && t.record_id == contact_id);
    let shared = targets.iter().any(|t| t.record_type == "contact" && t.record_id != contact_id);
    let attendees: Vec<String> = serde_json::from_str(&activity.attendees).unwrap_or_default();
    let kept: Vec<String> = attendees.iter().filter(|a| !text_mentions(a, needles)).cloned().collect();
    let fields = if linked && !shared {
        ScrubbedActivity {
            subject: activity.subject.as_ref().map(|_| ERASED.to_string()),
            body: activity.body.as_ref().map(|_| ERASED.to_string()),
            outcome: None,
            attendees: serde_json::to_string(&kept)?,
            message_id: None,
        }
    } else {
        ScrubbedActivity {
            subject: activity.subject.as_deref().map(|t| scrub_text(t, needles)),
            body: activity.body.as_deref().map(|t| scrub_text(t, needles)),
            outcome: activity.outcome.as_deref().map(|t| scrub_text(t, needles)),
            attendees: serde_json::to_string(&kept)?,
            message_id: activity.message_id.clone(),
        }
    };
    let unchanged = fields.subject == activity.subject
        && fields.body == activity.body
        && fields.outcome == activity.outcome
        && fields.message_id == activity.message_id
        && kept.len() == attendees.len();
    if unchanged {
        return Ok(false);
    }
    model::scrub_activity(conn, scope, activity_id, &fields)?;
    Ok(true)
}

/// An audit entry's changes with every value gone: which fields changed stays, not how.
fn redacted_changes(changes: &str) -> String {
    let fields: Map<String, Value> = serde_json::from_str(changes).unwrap_or_default();
    let redacted: Map<String, Value> = fields.keys().map(|k| (k.clone(), json!({"redacted": true}))).collect();
    Value::Object(redacted).to_string()
}

/// An event's data with only the object's id left.
fn redacted_event(data: &str) -> String {
    let data: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    let id = data.pointer("/object/id").cloned().unwrap_or(Value::Null);
    json!({"object": {"id": id}, "redacted": true}).to_string()
}

/// Anonymizes a contact everywhere; see `docs/contacts.md#erasure`.
pub async fn erase(state: &AppState, actor: &Actor, contact_id: String) -> ApiResult<ErasureOut> {
    actor.require(permissions::PRIVACY, Action::Write)?;
    let actor = actor.clone();
    let (keys, domains) = (state.keys.clone(), state.domains);
    state.db.write(move |conn| erase_in(conn, &keys, &actor, &contact_id, domains)).await
}

fn erase_in(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    contact_id: &str,
    domains: &[&Domain],
) -> ApiResult<ErasureOut> {
    let scope = actor.scope();
    crate::contact::service::CONTACTS.lock(conn, &scope, contact_id)?;
    let row = model::find_contact(conn, &scope, contact_id)?.ok_or_else(|| ApiError::not_found("contact"))?;
    if model::erased_at(conn, &scope, contact_id)?.is_some() {
        return Err(ApiError::conflict("already_erased", "This contact was erased already."));
    }
    let contact = ContactOut::from(row.clone());
    let emails: Vec<String> = contact.emails.iter().map(|e| e.address.clone()).collect();
    let phones: Vec<String> = contact.phones.iter().map(|p| p.number.clone()).collect();
    let full_name = match (&contact.first_name, &contact.last_name) {
        (Some(first), Some(last)) => vec![format!("{first} {last}"), format!("{last} {first}")],
        _ => Vec::new(),
    };
    let needles: Vec<String> = emails.iter().chain(&phones).chain(&full_name).cloned().collect();

    // The contact: personal fields cleared, the record and its id kept for aggregates.
    let anonymous = ContactFields {
        first_name: None,
        last_name: Some(ERASED_NAME.to_string()),
        sort_name: ERASED_NAME.to_lowercase(),
        email: None,
        phone: None,
        emails: "[]".into(),
        phones: "[]".into(),
        addresses: "[]".into(),
        job_title: None,
        lifecycle_stage: row.lifecycle_stage.clone(),
        lead_source: None,
        owner_id: row.owner_id.clone(),
        tags: "[]".into(),
        external_ids: "{}".into(),
        custom: "{}".into(),
    };
    let mut set = crate::contact::model::columns(&anonymous, true);
    set.push(("updated_at", crm_core::sql::Piece::Time(crm_core::time::now())));
    crate::contact::service::CONTACTS.save::<crate::contact::model::Contact>(conn, &scope, contact_id, set)?;
    crm_core::custom_fields::model::set_values(conn, &scope, RECORD_TYPE, contact_id, &[])?;
    crm_core::search_index::remove(conn, &scope, contact_id)?;
    crate::contact::model::set_emails(conn, &scope, contact_id, &[])?;
    records::set_tags(conn, &scope, RECORD_TYPE, contact_id, &[])?;
    records::set_external_ids(conn, &scope, RECORD_TYPE, contact_id, &Default::default())?;
    let company_links_removed = model::delete_company_links(conn, &scope, contact_id)?;
    crate::consent::model::delete_for_contact(conn, &scope, contact_id)?;
    crate::subscription::model::delete_for_contact(conn, &scope, contact_id)?;
    // Erased addresses count as suppressed through their hashes; the plain entries go.
    crate::suppression::model::delete_for_emails(conn, &scope, &emails)?;
    for email in &emails {
        model::remember_erased(conn, keys, &scope, email)?;
    }

    // Activities about the person, and any other activity that mentions their e-mail.
    let about = model::activity_ids_about(conn, &scope, contact_id)?;
    let mut touched: BTreeSet<String> = about.iter().cloned().collect();
    touched.extend(model::activity_ids_mentioning(conn, &scope, &emails)?);
    let mut activities_scrubbed = 0;
    for activity_id in &touched {
        if scrub_activity(conn, &scope, contact_id, activity_id, &needles)? {
            activities_scrubbed += 1;
        }
    }

    // What the other domains hold of the person (tickets they asked…).
    let erasure = Erasure { contact_id, emails: &emails, needles: &needles };
    let mut elsewhere: Vec<Scrubbed> = Vec::new();
    for eraser in domains.iter().flat_map(|domain| domain.erasers) {
        elsewhere.extend(eraser(conn, &scope, &erasure)?);
    }

    // Earlier audit entries and events must not keep what was erased: one scan of each table.
    let touched: Vec<String> = touched.into_iter().collect();
    let mut audit: Vec<(String, String)> = model::audit_about(conn, &scope, RECORD_TYPE, &[contact_id.to_string()])?;
    audit.extend(model::audit_about(conn, &scope, "activity", &touched)?);
    audit.extend(model::audit_mentioning(conn, &scope, &emails)?);
    let mut ids = touched.clone();
    ids.push(contact_id.to_string());
    let mut records_scrubbed = std::collections::BTreeMap::new();
    for scrubbed in elsewhere.iter().filter(|s| !s.ids.is_empty()) {
        audit.extend(model::audit_about(conn, &scope, scrubbed.record_type, &scrubbed.ids)?);
        ids.extend(scrubbed.ids.iter().cloned());
        *records_scrubbed.entry(scrubbed.record_type.to_string()).or_default() += scrubbed.ids.len();
    }
    let mut event_rows = model::events_mentioning(conn, &scope, &emails, &ids)?;
    audit.sort();
    audit.dedup_by(|a, b| a.0 == b.0);
    event_rows.sort();
    event_rows.dedup_by(|a, b| a.0 == b.0);
    for (id, changes) in &audit {
        model::set_audit_changes(conn, &scope, id, &redacted_changes(changes))?;
    }
    for (id, data) in &event_rows {
        model::set_event_data(conn, &scope, id, &redacted_event(data))?;
    }
    let mail_messages_redacted = crm_core::mail::model::redact_to_any(conn, &scope, &emails)?;
    // An erased person signs in to no customer portal again.
    crm_core::auth::customer::revoke_all(conn, scope.org_id(), contact_id)?;
    let mut response_needles = emails.clone();
    response_needles.push(contact_id.to_string());
    model::forget_responses_mentioning(conn, &scope, &response_needles)?;

    let erased_at = model::insert_erasure(conn, &scope, contact_id, actor)?;
    let out = ErasureOut {
        contact_id: contact_id.to_string(),
        erased_at,
        emails_hashed: emails.len(),
        activities_scrubbed,
        company_links_removed,
        audit_entries_redacted: audit.len(),
        events_redacted: event_rows.len(),
        mail_messages_redacted,
        records_scrubbed,
    };
    // The erasure itself: counts in the audit log, only the id in the event.
    let mut summary = Map::new();
    for (key, value) in [
        ("emails_hashed", out.emails_hashed),
        ("activities_scrubbed", out.activities_scrubbed),
        ("company_links_removed", out.company_links_removed),
        ("audit_entries_redacted", out.audit_entries_redacted),
        ("events_redacted", out.events_redacted),
        ("mail_messages_redacted", out.mail_messages_redacted),
    ] {
        summary.insert(key.into(), json!({"before": null, "after": value}));
    }
    summary.insert("records_scrubbed".into(), json!({"before": null, "after": out.records_scrubbed}));
    crm_core::audit::model::insert(conn, actor, "erased", RECORD_TYPE, contact_id, &summary)?;
    crm_core::events::model::emit(conn, actor, "contact.erased", json!({"id": contact_id}), None)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_case_insensitively() {
        let needles = vec!["ada@example.com".to_string(), "Ada Lovelace".to_string()];
        assert_eq!(scrub_text("Call ADA@Example.com (ada lovelace) today", &needles), "Call [erased] ([erased]) today");
        assert!(text_mentions("Ada <ada@example.com>", &needles));
        assert!(!text_mentions("Grace", &needles));
    }

    #[test]
    fn redaction_keeps_field_names_and_object_id() {
        assert_eq!(
            redacted_changes(r#"{"first_name":{"before":null,"after":"Ada"}}"#),
            r#"{"first_name":{"redacted":true}}"#
        );
        let event = redacted_event(r#"{"object":{"id":"con_1","email":"ada@example.com"}}"#);
        assert!(event.contains("con_1") && !event.contains("ada@"));
    }
}
