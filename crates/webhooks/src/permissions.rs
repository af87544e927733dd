//! The webhook domain's row of the permission table: admins manage endpoints and read their
//! deliveries (an endpoint receives every change of the organization). Its API-key scope is
//! `webhooks`.

use crm_core::auth::Role;
use crm_core::auth::permissions::{Resource, Who};

pub const WEBHOOKS: Resource = Resource {
    label: "webhook endpoints and deliveries",
    scope: Some("webhooks"),
    read: Who::Only(&[Role::Admin]),
    write: Who::Only(&[Role::Admin]),
};
