//! The contacts domain's event types (its part of the catalog).

use crm_core::registry::EventType;

const CONTACT: Option<&str> = Some("ContactOut");
const COMPANY: Option<&str> = Some("CompanyOut");
const ACTIVITY: Option<&str> = Some("ActivityOut");
const SUBSCRIPTION_TYPE: Option<&str> = Some("SubscriptionTypeOut");
const SUPPRESSION: Option<&str> = Some("SuppressionOut");
const IMPORT: Option<&str> = Some("ImportOut");
const LINK: Option<&str> = Some("LinkOut");

pub const EVENTS: &[EventType] = &[
    EventType::new("contact.created", "A contact was created (by the API, a batch, an upsert or an import).", CONTACT),
    EventType::new(
        "contact.updated",
        "A contact's fields changed; `previous_attributes` holds the old values.",
        CONTACT,
    ),
    EventType::new("contact.deleted", "A contact was moved to the trash (or merged into another).", CONTACT),
    EventType::new("contact.restored", "A contact was restored from the trash.", CONTACT),
    EventType::new("contact.merged", "Other contacts were merged into this one.", CONTACT),
    EventType::new("contact.purged", "A trashed contact was deleted for good.", None),
    EventType::new("contact.erased", "A contact's personal data was erased.", None),
    EventType::new("contact.company_linked", "A contact was linked to a company (the object is the link).", LINK),
    EventType::new("contact.company_unlinked", "A contact was unlinked from a company (the link as it was).", LINK),
    EventType::new("contact.consent_changed", "A contact's consent on a channel changed.", Some("ConsentOut")),
    EventType::new(
        "contact.subscription_changed",
        "A contact subscribed or unsubscribed.",
        Some("ContactSubscriptionOut"),
    ),
    EventType::new("company.created", "A company was created.", COMPANY),
    EventType::new("company.updated", "A company's fields changed.", COMPANY),
    EventType::new("company.deleted", "A company was moved to the trash.", COMPANY),
    EventType::new("company.purged", "A trashed company was deleted for good.", None),
    EventType::new("activity.created", "A note, task, call, meeting or e-mail was logged.", ACTIVITY),
    EventType::new("activity.updated", "An activity changed.", ACTIVITY),
    EventType::new("activity.deleted", "An activity was moved to the trash.", ACTIVITY),
    EventType::new("activity.purged", "A trashed activity was deleted for good.", None),
    EventType::new("subscription_type.created", "A subscription type was created.", SUBSCRIPTION_TYPE),
    EventType::new("subscription_type.updated", "A subscription type changed.", SUBSCRIPTION_TYPE),
    EventType::new("subscription_type.deleted", "A subscription type was deleted.", SUBSCRIPTION_TYPE),
    EventType::new("email_suppression.created", "An address was added to the suppression list.", SUPPRESSION),
    EventType::new("email_suppression.deleted", "An address was removed from the suppression list.", SUPPRESSION),
    EventType::new("erased_email.released", "An erased person's address may be used again.", None),
    EventType::new("import.completed", "An import finished.", IMPORT),
    EventType::new("import.failed", "An import stopped on an error.", IMPORT),
    EventType::new("import.reverted", "An import's records were reverted (with the counts).", None),
];
