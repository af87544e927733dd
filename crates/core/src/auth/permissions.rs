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

/// Which of an organization's roles something is open to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Everyone,
    Nobody,
    Only(&'static [Role]),
    AllBut(&'static [Role]),
}

impl Who {
    pub fn includes(self, role: Role) -> bool {
        match self {
            Who::Everyone => true,
            Who::Nobody => false,
            Who::Only(roles) => roles.contains(&role),
            Who::AllBut(roles) => !roles.contains(&role),
        }
    }
}

/// Something a permission can be asked about: one row of the permission table. The platform's
/// are here; each domain declares its own and lists them in its [`crate::registry::Domain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// How messages name it.
    pub label: &'static str,
    /// The API-key scope covering it (`<scope>:read` / `<scope>:write`); `None` for what any
    /// credential may reach (the caller's own profile).
    pub scope: Option<&'static str>,
    pub read: Who,
    pub write: Who,
}

const ADMINS: Who = Who::Only(&[Role::Admin]);

impl Resource {
    /// Nothing anyone may reach: what a resource without its own row falls back to.
    pub const NONE: Resource = Resource { label: "this", scope: None, read: Who::Nobody, write: Who::Nobody };
    /// The caller's own profile and organization.
    pub const ME: Resource = Resource { label: "your profile", scope: None, read: Who::Everyone, write: Who::Everyone };
    pub const USERS: Resource =
        Resource { label: "users", scope: Some("platform"), read: Who::Everyone, write: ADMINS };
    /// Teams: everyone sees who is in which; admins compose them.
    pub const TEAMS: Resource =
        Resource { label: "teams", scope: Some("platform"), read: Who::Everyone, write: ADMINS };
    pub const API_KEYS: Resource = Resource { label: "API keys", scope: Some("platform"), read: ADMINS, write: ADMINS };
    pub const AUDIT_LOG: Resource =
        Resource { label: "the audit log", scope: Some("platform"), read: ADMINS, write: ADMINS };
    /// Definitions of custom fields (the shape of records, so changed by admins).
    pub const CUSTOM_FIELDS: Resource =
        Resource { label: "custom fields", scope: Some("platform"), read: Who::Everyone, write: ADMINS };
    /// The caller's organization and its settings.
    pub const ORGANIZATION: Resource =
        Resource { label: "the organization", scope: Some("platform"), read: Who::Everyone, write: ADMINS };
    /// Outbound e-mail: anyone who works with customers sends; admins and managers read the
    /// log (it holds every message's content).
    pub const MAIL: Resource = Resource {
        label: "e-mail",
        scope: Some("mail"),
        read: Who::Only(&[Role::Admin, Role::Manager]),
        write: Who::AllBut(&[Role::ReadOnly]),
    };
    pub const EVENTS: Resource = Resource {
        label: "events",
        scope: Some("events"),
        read: Who::Only(&[Role::Admin, Role::Manager]),
        write: Who::Nobody,
    };
}

/// The permission table: whether `role` may perform `action` on `resource`.
pub fn role_allows(role: Role, resource: Resource, action: Action) -> bool {
    match action {
        Action::Read => resource.read.includes(role),
        Action::Write => resource.write.includes(role),
    }
}

/// An API-key scope: `*`, or `<domain>:read` / `<domain>:write` (the contract lists every one
/// of the registered domains).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a name for the contract only; scopes travel as strings
pub struct ScopeName(String);

/// Scopes an API key may carry: `*`, and `<scope>:read` / `<scope>:write` for each scope the
/// registered domains' permission rows name (`platform`, `events`, `contacts`…).
pub fn all_scopes(domains: &[&crate::registry::Domain]) -> Vec<String> {
    let mut scopes = vec!["*".to_string()];
    for scope in domains.iter().flat_map(|d| d.permissions).filter_map(|r| r.scope) {
        for action in ["read", "write"] {
            let scope = format!("{scope}:{action}");
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
    scopes
}

/// Whether a key with these scopes may perform `action` on `resource`. Write implies read.
pub fn scopes_allow(scopes: &[String], resource: Resource, action: Action) -> bool {
    let Some(domain) = resource.scope else {
        return true;
    };
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
        assert!(role_allows(Role::ReadOnly, Resource::USERS, Action::Read));
        assert!(!role_allows(Role::ReadOnly, Resource::USERS, Action::Write));
        assert!(!role_allows(Role::Sales, Resource::API_KEYS, Action::Read));
        assert!(role_allows(Role::Admin, Resource::AUDIT_LOG, Action::Read));
        assert!(!role_allows(Role::Admin, Resource::EVENTS, Action::Write));
    }

    #[test]
    fn scopes_cover_their_domain_only() {
        let read = vec!["platform:read".to_string()];
        assert!(scopes_allow(&read, Resource::USERS, Action::Read));
        assert!(!scopes_allow(&read, Resource::USERS, Action::Write));
        assert!(!scopes_allow(&read, Resource::EVENTS, Action::Read));
        assert!(scopes_allow(&["*".to_string()], Resource::EVENTS, Action::Read));
        assert!(scopes_allow(&[], Resource::ME, Action::Read));
    }

    #[test]
    fn nobody_grants_above_their_role() {
        assert!(Role::Admin.can_grant(Role::Admin));
        assert!(!Role::Manager.can_grant(Role::Admin));
        assert!(!Role::Sales.can_grant(Role::Marketing));
    }
}
