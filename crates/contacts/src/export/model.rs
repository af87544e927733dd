//! Exports have no table of their own: the job row holds the request and progress, the file
//! tables hold the CSV. This is the columns an export can write.

use crate::contact::dto::ContactOut;

pub const EXPORT_KIND: &str = "contacts.export";

pub const DEFAULT_COLUMNS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "lifecycle_stage",
    "lead_source",
    "owner_id",
    "tags",
    "created_at",
    "updated_at",
];

/// Columns besides `external_id:<source>`.
pub const COLUMNS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "emails",
    "phone",
    "phones",
    "job_title",
    "lifecycle_stage",
    "lead_source",
    "owner_id",
    "tags",
    "address.line1",
    "address.line2",
    "address.city",
    "address.region",
    "address.postal_code",
    "address.country",
    "created_at",
    "updated_at",
    "version",
];

pub fn is_column(name: &str) -> bool {
    COLUMNS.contains(&name) || name.strip_prefix("external_id:").is_some_and(crm_core::records::is_source)
}

/// One contact's value for a column: lists joined with `;`, the first address's parts.
pub fn value(contact: &ContactOut, column: &str) -> String {
    let address = contact.addresses.first();
    let part =
        |f: fn(&crate::common::Address) -> &Option<String>| address.and_then(|a| f(a).clone()).unwrap_or_default();
    match column {
        "id" => contact.id.clone(),
        "first_name" => contact.first_name.clone().unwrap_or_default(),
        "last_name" => contact.last_name.clone().unwrap_or_default(),
        "email" => contact.email.clone().unwrap_or_default(),
        "emails" => contact.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>().join(";"),
        "phone" => contact.phone.clone().unwrap_or_default(),
        "phones" => contact.phones.iter().map(|p| p.number.as_str()).collect::<Vec<_>>().join(";"),
        "job_title" => contact.job_title.clone().unwrap_or_default(),
        "lifecycle_stage" => contact.lifecycle_stage.as_str().to_string(),
        "lead_source" => contact.lead_source.clone().unwrap_or_default(),
        "owner_id" => contact.owner_id.clone().unwrap_or_default(),
        "tags" => contact.tags.join(";"),
        "address.line1" => part(|a| &a.line1),
        "address.line2" => part(|a| &a.line2),
        "address.city" => part(|a| &a.city),
        "address.region" => part(|a| &a.region),
        "address.postal_code" => part(|a| &a.postal_code),
        "address.country" => part(|a| &a.country),
        "created_at" => crm_core::time::format(&contact.created_at),
        "updated_at" => crm_core::time::format(&contact.updated_at),
        "version" => contact.version.to_string(),
        other => match other.strip_prefix("external_id:") {
            Some(source) => contact.external_ids.get(source).cloned().unwrap_or_default(),
            None => String::new(),
        },
    }
}
