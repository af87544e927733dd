//! The platform's event types, and the catalog's API shape (`GET /v1/event-types`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::registry::EventType;

const ORGANIZATION: Option<&str> = Some("OrganizationOut");
const USER: Option<&str> = Some("UserOut");
const TEAM: Option<&str> = Some("TeamOut");
const API_KEY: Option<&str> = Some("ApiKeyOut");
const FIELD: Option<&str> = Some("DefinitionOut");

/// What the platform itself emits.
pub const PLATFORM: &[EventType] = &[
    EventType::new("organization.updated", "The organization's name or settings changed.", ORGANIZATION),
    EventType::new(
        "record_visibility.updated",
        "The rules of who sees which records changed.",
        Some("RecordVisibility"),
    ),
    EventType::new("user.created", "A user was invited or created.", USER),
    EventType::new("user.activated", "An invited user accepted the invitation.", USER),
    EventType::new("user.updated", "A user's name or role changed.", USER),
    EventType::new("user.deactivated", "A user was deactivated: their sessions and tokens stop working.", USER),
    EventType::new("user.reactivated", "A deactivated user was reactivated.", USER),
    EventType::new("user.password_changed", "A user changed their password.", USER),
    EventType::new("team.created", "A team was created.", TEAM),
    EventType::new("team.updated", "A team's name, description or members changed.", TEAM),
    EventType::new("team.deleted", "A team was deleted.", TEAM),
    EventType::new("api_key.created", "An API key was created (the object never holds the key).", API_KEY),
    EventType::new("api_key.updated", "An API key's name or scopes changed.", API_KEY),
    EventType::new("api_key.revoked", "An API key was revoked.", API_KEY),
    EventType::new("custom_field.created", "A custom field was defined.", FIELD),
    EventType::new("custom_field.updated", "A custom field's definition changed.", FIELD),
    EventType::new("custom_field.deleted", "A custom field was archived (its values are kept).", FIELD),
    EventType::new("custom_field.restored", "An archived custom field was restored.", FIELD),
];

/// One entry of the event catalog.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "contact.created",
    "description": "A contact was created.",
    "object_schema": "ContactOut",
    "schema_url": "/openapi.json#/webhooks/contact.created"
}))]
pub struct EventTypeOut {
    #[serde(rename = "type")]
    pub event_type: String,
    pub description: String,
    /// The schema of `data.object` in the contract's components (`null`: `{"id": …}` only).
    pub object_schema: Option<String>,
    /// Where the contract describes the whole payload (its top-level `webhooks` section).
    pub schema_url: String,
}

/// Every event type the product emits.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeList {
    pub data: Vec<EventTypeOut>,
}

impl From<&EventType> for EventTypeOut {
    fn from(t: &EventType) -> Self {
        EventTypeOut {
            event_type: t.name.to_string(),
            description: t.description.to_string(),
            object_schema: t.object.map(str::to_string),
            schema_url: format!("/openapi.json#/webhooks/{}", t.name),
        }
    }
}
