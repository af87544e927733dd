//! The webhook domain's event types (its part of the catalog).

use crm_core::registry::EventType;

/// The event `POST /v1/webhook-endpoints/{id}/test` sends to that endpoint alone.
pub const TEST: &str = "webhook.test";

const ENDPOINT: Option<&str> = Some("EndpointOut");

pub const EVENTS: &[EventType] = &[
    EventType::new(TEST, "A test event, sent to one endpoint on request; its object is that endpoint.", ENDPOINT),
    EventType::new("webhook_endpoint.created", "A webhook endpoint was created.", ENDPOINT),
    EventType::new(
        "webhook_endpoint.updated",
        "A webhook endpoint's URL, types, state or rate limit changed.",
        ENDPOINT,
    ),
    EventType::new("webhook_endpoint.secret_rotated", "A webhook endpoint's signing secret was rotated.", ENDPOINT),
    EventType::new(
        "webhook_endpoint.disabled",
        "Delivery to an endpoint stopped: it answered 410 Gone (`disabled_reason` gone) or failed every \
         delivery for 5 days (failing).",
        ENDPOINT,
    ),
    EventType::new("webhook_endpoint.deleted", "A webhook endpoint was deleted.", ENDPOINT),
];
