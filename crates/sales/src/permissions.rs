//! The sales domain's rows of the permission table. Its API-key scope is `sales`.

use crm_core::auth::Role;
use crm_core::auth::permissions::{Resource, Who};

/// Deals (their contacts, stage history, board and summary), quotes and orders.
pub const DEALS: Resource = Resource {
    label: "deals, quotes and orders",
    scope: Some("sales"),
    read: Who::Everyone,
    write: Who::AllBut(&[Role::ReadOnly, Role::Support]),
};

/// Pipelines and their stages: everybody reads them (a deal names its stage); admins and
/// managers shape the sales process.
pub const PIPELINES: Resource = Resource {
    label: "pipelines and stages",
    scope: Some("sales"),
    read: Who::Everyone,
    write: Who::Only(&[Role::Admin, Role::Manager]),
};

/// Leads: marketing brings them in, sales works and converts them.
pub const LEADS: Resource =
    Resource { label: "leads", scope: Some("sales"), read: Who::Everyone, write: Who::AllBut(&[Role::ReadOnly]) };

/// Products and price books: everybody reads them (lines name them); admins and managers set
/// what is sold and at what price.
pub const PRODUCTS: Resource = Resource {
    label: "products and price books",
    scope: Some("sales"),
    read: Who::Everyone,
    write: Who::Only(&[Role::Admin, Role::Manager]),
};

/// The sales settings managers keep: currency rates and quotas. Everybody reads them.
pub const SALES_SETTINGS: Resource = Resource {
    label: "currency rates and quotas",
    scope: Some("sales"),
    read: Who::Everyone,
    write: Who::Only(&[Role::Admin, Role::Manager]),
};
