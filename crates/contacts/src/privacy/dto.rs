//! Personal-data exports, erasure results and releases as the API shows and takes them.

use chrono::NaiveDateTime;
use crm_core::audit::dto::AuditEntryOut;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::activity::dto::ActivityOut;
use crate::consent::dto::ConsentOut;
use crate::contact::dto::ContactOut;
use crate::link::dto::ContactCompany;
use crate::subscription::dto::ContactSubscriptionOut;
use crate::suppression::dto::SuppressionOut;

/// Everything the organization holds about one person, in one document (GDPR art. 15 and 20).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "contact": {
        "id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "first_name": "Ada", "last_name": "Lovelace",
        "email": "ada@example.com", "phone": null,
        "emails": [{"address": "ada@example.com", "type": "work", "primary": true}], "phones": [], "addresses": [],
        "job_title": "Analyst", "lifecycle_stage": "lead", "lead_source": "website", "owner_id": null,
        "tags": ["vip"], "external_ids": {"shopify": "7712"}, "custom": {},
        "created_at": "2026-11-22T19:44:06Z", "updated_at": "2026-11-22T19:44:06Z", "version": 1
    },
    "deleted_at": null, "erased_at": null, "companies": [], "activities": [],
    "consents": [{"contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "channel": "email", "status": "granted",
                  "lawful_basis": "consent", "source": "web_form:newsletter", "recorded_at": "2026-11-22T19:44:06Z",
                  "updated_at": "2026-11-22T19:44:06Z", "version": 1}],
    "subscriptions": [], "email_suppressions": [], "history": [], "mail_messages": [],
    "exported_at": "2026-11-22T19:50:00Z"
}))]
pub struct PersonalDataOut {
    /// The contact: names, e-mails, phones, addresses, tags, external ids…
    pub contact: ContactOut,
    /// Set when the contact is in the trash.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deleted_at: Option<NaiveDateTime>,
    /// Set when the contact was erased.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub erased_at: Option<NaiveDateTime>,
    /// The companies the contact is linked to.
    pub companies: Vec<ContactCompany>,
    /// Every activity about the contact, in the trash too, oldest first.
    pub activities: Vec<ActivityOut>,
    /// The consent on every channel.
    pub consents: Vec<ConsentOut>,
    /// The status for every subscription type.
    pub subscriptions: Vec<ContactSubscriptionOut>,
    /// Suppression-list entries of the contact's e-mail addresses.
    pub email_suppressions: Vec<SuppressionOut>,
    /// The contact's audit entries (every change, who made it and when), oldest first.
    pub history: Vec<AuditEntryOut>,
    /// The e-mail sent to the contact's addresses, oldest first.
    pub mail_messages: Vec<crm_core::mail::dto::MailOut>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: NaiveDateTime,
}

/// What an erasure did (counts only: none of the erased data).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5a", "erased_at": "2026-11-22T19:50:00Z",
    "emails_hashed": 2, "activities_scrubbed": 3, "company_links_removed": 1,
    "audit_entries_redacted": 9, "events_redacted": 9, "mail_messages_redacted": 1,
    "records_scrubbed": {"ticket": 2, "ticket_comment": 3}
}))]
pub struct ErasureOut {
    pub contact_id: String,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub erased_at: NaiveDateTime,
    /// E-mail addresses kept as keyed hashes, so a re-import is refused.
    pub emails_hashed: usize,
    /// Activities whose text, attendees or subject were scrubbed.
    pub activities_scrubbed: usize,
    pub company_links_removed: usize,
    /// Earlier audit entries and events whose payloads were redacted.
    pub audit_entries_redacted: usize,
    pub events_redacted: usize,
    /// Messages sent to the person whose recipients, subject and bodies were erased.
    pub mail_messages_redacted: usize,
    /// Other domains' records scrubbed, by record type (the tickets the person asked, their
    /// comments…).
    pub records_scrubbed: std::collections::BTreeMap<String, usize>,
}

/// An erased person's e-mail address to accept again.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct ReleaseIn {
    #[schema(format = Email, example = "ada@example.com")]
    pub email: String,
}
