//! Who may do what: the one table of role × resource × action, and API-key scopes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's role in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Sales,
    Marketing,
    Support,
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Admin, Role::Manager, Role::Sales, Role::Marketing, Role::Support, Role::ReadOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Marketing => "marketing",
            Role::Support => "support",
            Role::ReadOnly => "read_only",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether a user of this role may hand `other` to a user or key (no one grants above their own).
    pub fn can_grant(self, other: Role) -> bool {
        match self {
            Role::Admin => true,
            Role::Manager => other != Role::Admin,
            _ => other == self || other == Role::ReadOnly,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Write,
}

/// Everything a permission can be asked about. Each domain adds its resources here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// The caller's own profile and organization.
    Me,
    Users,
    ApiKeys,
    AuditLog,
    Events,
    /// The caller's organization and its settings.
    Organization,
    /// Definitions of custom fields (the shape of records, so changed by admins).
    CustomFields,
    Contacts,
    /// Personal-data requests: the export of everything held about a person (read) and
    /// erasure (write). In the contacts domain for API-key scopes.
    Privacy,
    /// CSV imports of contacts (jobs); the contacts domain's scopes.
    Imports,
    /// CSV exports of contacts (jobs); the contacts domain's scopes.
    Exports,
}

/// A group of resources that an API-key scope names: `<domain>:read` / `<domain>:write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Platform,
    Events,
    Contacts,
}

impl Domain {
    pub const ALL: [Domain; 3] = [Domain::Platform, Domain::Events, Domain::Contacts];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Platform => "platform",
            Domain::Events => "events",
            Domain::Contacts => "contacts",
        }
    }
}

impl Resource {
    /// How messages name it.
    pub fn label(self) -> &'static str {
        match self {
            Resource::Me => "your profile",
            Resource::Users => "users",
            Resource::ApiKeys => "API keys",
            Resource::AuditLog => "the audit log",
            Resource::Events => "events",
            Resource::CustomFields => "custom fields",
            Resource::Organization => "the organization",
            Resource::Contacts => "contacts and companies",
            Resource::Privacy => "personal data (export and erasure)",
            Resource::Imports => "imports",
            Resource::Exports => "exports",
        }
    }

    pub fn domain(self) -> Domain {
        match self {
            Resource::Me
            | Resource::Users
            | Resource::ApiKeys
            | Resource::AuditLog
            | Resource::CustomFields
            | Resource::Organization => Domain::Platform,
            Resource::Events => Domain::Events,
            Resource::Contacts | Resource::Privacy | Resource::Imports | Resource::Exports => Domain::Contacts,
        }
    }
}

/// The permission table.
pub fn role_allows(role: Role, resource: Resource, action: Action) -> bool {
    use Action::*;
    use Resource::*;
    match (resource, action) {
        (Me, _) => true,
        (Users | CustomFields | Organization, Read) => true,
        (Users | ApiKeys | AuditLog | CustomFields | Organization, _) => role == Role::Admin,
        (Events, Read) => matches!(role, Role::Admin | Role::Manager),
        (Events, Write) => false,
        (Contacts, Read) => true,
        (Contacts, Write) => role != Role::ReadOnly,
        (Privacy, Read) => matches!(role, Role::Admin | Role::Manager),
        (Privacy, Write) => role == Role::Admin,
        // An import writes many contacts; an export copies them all out of the CRM.
        (Imports | Exports, Read) => true,
        (Imports | Exports, Write) => role != Role::ReadOnly,
    }
}

/// Scopes an API key may carry: `platform:read`, `platform:write`, `events:read`, … and `*`.
pub fn all_scopes() -> Vec<String> {
    let mut scopes = vec!["*".to_string()];
    for domain in Domain::ALL {
        scopes.push(format!("{}:read", domain.as_str()));
        scopes.push(format!("{}:write", domain.as_str()));
    }
    scopes
}

pub fn is_known_scope(scope: &str) -> bool {
    all_scopes().iter().any(|s| s == scope)
}

/// Whether a key with these scopes may perform `action` on `resource`. Write implies read.
pub fn scopes_allow(scopes: &[String], resource: Resource, action: Action) -> bool {
    if resource == Resource::Me {
        return true;
    }
    let domain = resource.domain().as_str();
    scopes.iter().any(|scope| {
        if scope == "*" {
            return true;
        }
        match scope.split_once(':') {
            Some((d, "write")) => d == domain,
            Some((d, "read")) => d == domain && action == Action::Read,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_reads_and_never_writes() {
        assert!(role_allows(Role::ReadOnly, Resource::Users, Action::Read));
        assert!(!role_allows(Role::ReadOnly, Resource::Users, Action::Write));
        assert!(!role_allows(Role::Sales, Resource::ApiKeys, Action::Read));
        assert!(role_allows(Role::Admin, Resource::AuditLog, Action::Read));
    }

    #[test]
    fn only_admins_erase_and_managers_export() {
        assert!(role_allows(Role::Admin, Resource::Privacy, Action::Write));
        assert!(!role_allows(Role::Manager, Resource::Privacy, Action::Write));
        assert!(role_allows(Role::Manager, Resource::Privacy, Action::Read));
        assert!(!role_allows(Role::Sales, Resource::Privacy, Action::Read));
        assert!(scopes_allow(&["contacts:write".to_string()], Resource::Privacy, Action::Write));
    }

    #[test]
    fn scopes_cover_their_domain_only() {
        let read = vec!["platform:read".to_string()];
        assert!(scopes_allow(&read, Resource::Users, Action::Read));
        assert!(!scopes_allow(&read, Resource::Users, Action::Write));
        assert!(!scopes_allow(&read, Resource::Events, Action::Read));
        assert!(scopes_allow(&["*".to_string()], Resource::Events, Action::Read));
        assert!(scopes_allow(&[], Resource::Me, Action::Read));
    }

    #[test]
    fn nobody_grants_above_their_role() {
        assert!(Role::Admin.can_grant(Role::Admin));
        assert!(!Role::Manager.can_grant(Role::Admin));
        assert!(!Role::Sales.can_grant(Role::Marketing));
    }
}
