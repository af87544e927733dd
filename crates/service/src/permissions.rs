//! The service domain's rows of the permission table. Its API-key scope is `service`.

use crm_core::auth::Role;
use crm_core::auth::permissions::{Resource, Who};

/// Tickets, their comments and inbound e-mail: support and everyone but read-only users work
/// them; everybody reads them.
pub const TICKETS: Resource =
    Resource { label: "tickets", scope: Some("service"), read: Who::Everyone, write: Who::AllBut(&[Role::ReadOnly]) };

/// Business hours and SLA policies: everybody reads them (tickets show their targets); admins
/// and managers set them.
pub const SERVICE_SETTINGS: Resource = Resource {
    label: "business hours and SLA policies",
    scope: Some("service"),
    read: Who::Everyone,
    write: Who::Only(&[Role::Admin, Role::Manager]),
};

/// The knowledge base: everybody reads it (the published part needs no login at all); admins,
/// managers and support write it.
pub const KNOWLEDGE: Resource = Resource {
    label: "knowledge base",
    scope: Some("service"),
    read: Who::Everyone,
    write: Who::Only(&[Role::Admin, Role::Manager, Role::Support]),
};
