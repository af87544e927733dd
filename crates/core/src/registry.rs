//! What a domain crate declares about itself, so the gateway can wire it with one line and
//! generic tests can reach every resource: its routes, OpenAPI tags, permission rows, resources,
//! jobs and schedules.

use utoipa_actix_web::service_config::ServiceConfig;

/// A domain crate (the platform itself is one): `crm_core::DOMAIN`, `crm_contacts::DOMAIN`…
pub struct Domain {
    pub name: &'static str,
    /// Registers the domain's `/v1` routes.
    pub configure: fn(&mut ServiceConfig),
    /// OpenAPI tags, in the order the docs show them: (name, description).
    pub tags: &'static [(&'static str, &'static str)],
    /// Its rows of the permission table (their scopes are the API-key scopes it adds).
    pub permissions: &'static [crate::auth::Resource],
    pub resources: &'static [ResourceSpec],
    /// Registers the handlers of its job kinds.
    pub jobs: fn(&mut crate::jobs::Registry),
    /// Its periodic jobs (each a registered kind), run for every organization.
    pub schedules: &'static [crate::jobs::Schedule],
    /// Its section of the configuration, if it has settings.
    pub settings: Option<crate::config::Settings>,
    /// Its long-running loops (webhook dispatch…), started by every process that runs jobs.
    pub background: &'static [Background],
    /// Every event type it emits: the catalog (`GET /v1/event-types`, the contract's `webhooks`).
    pub events: &'static [EventType],
    /// Its parts of erasing a contact (`POST /v1/contacts/{id}/erase`).
    pub erasers: &'static [crate::privacy::Eraser],
}

/// A loop a domain runs in the background of `crm serve` and `crm worker` until the process stops.
pub type Background =
    fn(actix_web::web::Data<crate::state::AppState>) -> futures_util::future::LocalBoxFuture<'static, ()>;

/// An event type, as the catalog lists it.
#[derive(Debug, Clone, Copy)]
pub struct EventType {
    /// `<resource>.<past_tense_verb>`: `contact.created`.
    pub name: &'static str,
    pub description: &'static str,
    /// The component schema of `data.object` (`ContactOut`); `None` for a bare `{"id": …}`.
    pub object: Option<&'static str>,
}

impl EventType {
    /// One entry per verb of a resource whose events all carry the same object.
    pub const fn new(name: &'static str, description: &'static str, object: Option<&'static str>) -> EventType {
        EventType { name, description, object }
    }
}

/// The catalog of these domains, sorted by name.
pub fn event_types(domains: &[&Domain]) -> Vec<EventType> {
    let mut types: Vec<EventType> = domains.iter().flat_map(|d| d.events.iter().copied()).collect();
    types.sort_by_key(|t| t.name);
    types
}

/// Whether a live record with this id is in the scope's sight.
pub type Exists = fn(&mut crate::db::DbConnection, &crate::scope::Scope, &str) -> crate::ApiResult<bool>;

/// The ids of a resource's records (in the scope's sight) linked to the record of another type
/// named by (record type, id): a company's deals, the leads converted into a contact.
pub type Linked = fn(&mut crate::db::DbConnection, &crate::scope::Scope, &str, &str) -> crate::ApiResult<Vec<String>>;

/// One resource of a domain.
pub struct ResourceSpec {
    /// The record type stored beside its rows (custom values, tags, audit, events): `contact`.
    pub record_type: &'static str,
    /// The TypeID prefix of its ids: `con`.
    pub id_prefix: &'static str,
    /// Its collection under the API root (`/v1/contacts`), or the record itself for a
    /// singleton such as `/v1/organization`.
    pub path: &'static str,
    /// The permission row that governs reading and writing its records.
    pub permission: crate::auth::Resource,
    /// Whether records take custom fields (it is then a `record_type` of `/v1/custom-fields`).
    pub custom_fields: bool,
    /// Whether records appear in the global search (`GET /v1/search`).
    pub search: bool,
    /// Whether a live record with this id is in the scope's sight. Set, it makes the resource
    /// something activities can be about, with a timeline (`crm_contacts::timeline`).
    pub exists: Option<Exists>,
    /// Its records linked to another record: their changes also show on that record's
    /// timeline (a deal's on its company's and its contacts').
    pub linked: Option<Linked>,
    /// The SQL expression naming a record's owner (`contacts.owner_id`), for resources whose
    /// records each role may see all of, its teams' or its own (`/v1/organization/record-visibility`).
    pub owner: Option<&'static str>,
    /// How to write one, for resources that take `PATCH` with `If-Match`.
    pub writes: Option<WriteExample>,
}

/// A realistic record and patches of different fields (at least two): what the generic
/// concurrency tests write to every patchable resource.
pub struct WriteExample {
    /// The body of `POST <path>`; `None` for a singleton. `{<record_type>_id}` stands for the
    /// id of a record of that type (created from its own example).
    pub create: Option<&'static str>,
    pub patches: &'static [&'static str],
}

impl ResourceSpec {
    /// A spec with nothing optional: fill in what the resource has with `..ResourceSpec::BASE`.
    pub const BASE: ResourceSpec = ResourceSpec {
        record_type: "",
        id_prefix: "",
        path: "",
        permission: crate::auth::Resource::NONE,
        custom_fields: false,
        search: false,
        owner: None,
        exists: None,
        linked: None,
        writes: None,
    };
}

/// The job handlers of these domains.
pub fn job_registry(domains: &[&Domain]) -> crate::jobs::Registry {
    let mut registry = crate::jobs::Registry::default();
    for domain in domains {
        (domain.jobs)(&mut registry);
    }
    registry
}

/// The periodic jobs of these domains.
pub fn schedules(domains: &[&Domain]) -> Vec<crate::jobs::Schedule> {
    domains.iter().flat_map(|d| d.schedules.iter().copied()).collect()
}

/// Every resource of these domains.
pub fn resources<'a>(domains: &'a [&'a Domain]) -> impl Iterator<Item = &'a ResourceSpec> {
    domains.iter().flat_map(|d| d.resources.iter())
}

/// Lists the registered record types in the contract: the `RecordType` schema (types taking
/// custom fields) and the `SearchType` schema (searchable types) become enums of their names,
/// `OwnedType` of the types with owners (record visibility), and `ScopeName` of every API-key
/// scope.
pub fn document_record_types(spec: &mut utoipa::openapi::OpenApi, domains: &[&Domain]) {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    let Some(components) = spec.components.as_mut() else { return };
    let names = |included: fn(&ResourceSpec) -> bool| -> Vec<String> {
        resources(domains).filter(|r| included(r)).map(|r| r.record_type.to_string()).collect()
    };
    let lists = [
        ("RecordType", names(|r| r.custom_fields)),
        ("SearchType", names(|r| r.search)),
        ("OwnedType", names(|r| r.owner.is_some())),
        ("ScopeName", crate::auth::permissions::all_scopes(domains)),
    ];
    for (schema, names) in lists {
        if let Some(utoipa::openapi::RefOr::T(Schema::Object(existing))) = components.schemas.get(schema) {
            let documented = ObjectBuilder::new()
                .schema_type(Type::String)
                .description(existing.description.clone())
                .enum_values(Some(names))
                .build();
            components.schemas.insert(schema.to_string(), Schema::Object(documented).into());
        }
    }
    // `GET /v1/search?types=` takes a comma-separated list of the same names.
    let searchable: Vec<&str> = resources(domains).filter(|r| r.search).map(|r| r.record_type).collect();
    let one = format!("({})", searchable.join("|"));
    let types =
        spec.paths.paths.get_mut("/v1/search").and_then(|item| item.get.as_mut()).and_then(|op| op.parameters.as_mut());
    for parameter in types.into_iter().flatten().filter_map(|p| match p {
        utoipa::openapi::RefOr::T(p) if p.name == "types" => Some(p),
        _ => None,
    }) {
        parameter.schema =
            Some(ObjectBuilder::new().schema_type(Type::String).pattern(Some(format!("^{one}(,{one})*$"))).into());
    }
}

/// The contract's top-level `webhooks` section (OpenAPI 3.1): one entry per event type, whose
/// request body is the event with its type fixed and `data.object` typed, and an example, so
/// SDK generators and tools importing event types from OpenAPI get typed payloads.
pub fn document_event_types(spec: &mut utoipa::openapi::OpenApi, domains: &[&Domain]) {
    use serde_json::{Value, json};
    let examples: std::collections::HashMap<String, Value> = spec
        .components
        .as_ref()
        .map(|c| {
            c.schemas
                .iter()
                .filter_map(|(name, schema)| {
                    let example = serde_json::to_value(schema).ok()?.get("example").cloned()?;
                    Some((name.clone(), example))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut webhooks = utoipa::openapi::path::PathsBuilder::new();
    for event in event_types(domains) {
        let (object_schema, object_example) = match event.object {
            Some(name) => (
                json!({"$ref": format!("#/components/schemas/{name}")}),
                examples.get(name).cloned().unwrap_or_else(|| json!({"id": "obj_01jbz3m3x7f6ks6q0vd1tq2n5c"})),
            ),
            None => (
                json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}),
                json!({"id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c"}),
            ),
        };
        let example = json!({
            "id": "evt_01jbz3m3x7f6ks6q0vd1tq2n5a",
            "seq": 1042,
            "type": event.name,
            "created_at": "2026-11-22T19:44:06Z",
            "actor": {"type": "api_key", "id": "key_01jbz3m3x7f6ks6q0vd1tq2n5b"},
            "data": {"object": object_example}
        });
        let item = json!({
            "post": {
                "operationId": format!("webhook_{}", event.name.replace('.', "_")),
                "summary": event.name,
                "description": format!(
                    "{} Delivered to the webhook endpoints that take `{}`, signed to the Standard Webhooks \
                     specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`).",
                    event.description, event.name
                ),
                "tags": ["Webhooks"],
                // Sent by the server, signed with the endpoint's secret: no credential of the API.
                "security": [],
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"allOf": [
                        {"$ref": "#/components/schemas/EventOut"},
                        {"type": "object", "properties": {
                            "type": {"type": "string", "enum": [event.name]},
                            "data": {"type": "object", "properties": {"object": object_schema}, "required": ["object"]}
                        }}
                    ]},
                    "example": example
                }}},
                "responses": {"200": {"description": "Any 2xx: delivered. Anything else is retried."}}
            }
        });
        match serde_json::from_value::<utoipa::openapi::PathItem>(item) {
            Ok(item) => webhooks = webhooks.path(event.name, item),
            Err(e) => log::error!("event type {}: {e}", event.name),
        }
    }
    spec.webhooks = Some(webhooks.build());
}
