//! The contacts domain's rows of the permission table. Its API-key scope is `contacts`.

use crm_core::auth::Role;
use crm_core::auth::permissions::{Resource, Who};

const ALL_BUT_READ_ONLY: Who = Who::AllBut(&[Role::ReadOnly]);

/// Contacts, companies, their links, activities, consent and subscriptions.
pub const CONTACTS: Resource = Resource {
    label: "contacts and companies",
    scope: Some("contacts"),
    read: Who::Everyone,
    write: ALL_BUT_READ_ONLY,
};

/// Personal-data requests: the export of everything held about a person (read) and erasure
/// (write).
pub const PRIVACY: Resource = Resource {
    label: "personal data (export and erasure)",
    scope: Some("contacts"),
    read: Who::Only(&[Role::Admin, Role::Manager]),
    write: Who::Only(&[Role::Admin]),
};

/// CSV imports of contacts (jobs): an import writes many contacts.
pub const IMPORTS: Resource =
    Resource { label: "imports", scope: Some("contacts"), read: Who::Everyone, write: ALL_BUT_READ_ONLY };

/// CSV exports of contacts (jobs): an export copies them all out of the CRM.
pub const EXPORTS: Resource =
    Resource { label: "exports", scope: Some("contacts"), read: Who::Everyone, write: ALL_BUT_READ_ONLY };

#[cfg(test)]
mod tests {
    use crm_core::auth::Action;
    use crm_core::auth::permissions::{role_allows, scopes_allow};

    use super::*;

    #[test]
    fn only_admins_erase_and_managers_export_personal_data() {
        assert!(role_allows(Role::Admin, PRIVACY, Action::Write));
        assert!(!role_allows(Role::Manager, PRIVACY, Action::Write));
        assert!(role_allows(Role::Manager, PRIVACY, Action::Read));
        assert!(!role_allows(Role::Sales, PRIVACY, Action::Read));
        assert!(scopes_allow(&["contacts:write".to_string()], PRIVACY, Action::Write));
        assert!(!role_allows(Role::ReadOnly, CONTACTS, Action::Write));
    }
}
