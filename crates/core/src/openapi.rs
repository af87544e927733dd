//! Contract helpers: the error responses every operation can give, added in one place
//! (where the middleware that produces them is), so handlers list only their own.

use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                crate::error::PROBLEM_JSON,
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build(),
    )
}

/// Adds the bearer security scheme and the standard error responses to every operation.
pub struct StandardResponses;

impl utoipa::Modify for StandardResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key (`crm_sk_…`) or an access token from `POST /v1/auth/token`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "customer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A customer token (`crm_ct_…`) of the customer portal: minted by the organization \
                         (`POST /v1/customer-tokens`) or got by signing in with an e-mailed code.",
                    ))
                    .build(),
            ),
        );
        reference_page_items(components);
        for item in openapi.paths.paths.values_mut() {
            if let Some(post) = item.post.as_mut().filter(|op| takes_organization_credentials(op)) {
                add_idempotency_key(post);
            }
            if let Some(get) = item.get.as_mut() {
                add_standard(get, false);
            }
            for operation in [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
                add_standard(operation, true);
            }
        }
        pattern_free_strings(openapi);
    }
}

/// The pattern the contract gives query parameter `name` of `Q`, for tests that hold a literal
/// in a `#[param]` to the code it describes.
pub fn query_parameter_pattern<Q: utoipa::IntoParams>(name: &str) -> Option<String> {
    let parameter = Q::into_params(|| Some(ParameterIn::Query)).into_iter().find(|p| p.name == name)?;
    let schema = serde_json::to_value(parameter.schema?).ok()?;
    schema.get("pattern")?.as_str().map(String::from)
}

/// Every `cursor` (a query parameter, or a property of a search body) is an encoded cursor.
fn pattern_cursors(map: &mut serde_json::Map<String, serde_json::Value>) {
    let cursor_parameter =
        map.get("name").is_some_and(|n| n == "cursor") && map.get("in").is_some_and(|i| i == "query");
    let schema = if cursor_parameter {
        map.get_mut("schema")
    } else {
        map.get_mut("properties").and_then(|properties| properties.get_mut("cursor"))
    };
    if let Some(serde_json::Value::Object(schema)) = schema {
        schema.insert("pattern".into(), crate::http::CURSOR_PATTERN.into());
    }
}

/// What every free string of the contract matches: the body parser and the URL check refuse
/// U+0000 anywhere (PostgreSQL cannot store it), so the contract says so for each string
/// (and each key of a free-form object) that has no stricter format, pattern or enum.
pub const NO_NUL_PATTERN: &str = r"^[^\u0000]*$";

/// Gives each free string its pattern: in what a client sends (request bodies and the schemas
/// they use), the text rules of [`crate::text`], multi-line or not by the property's name;
/// elsewhere (parameters, responses only), [`NO_NUL_PATTERN`].
fn pattern_free_strings(openapi: &mut OpenApi) {
    let Ok(mut document) = serde_json::to_value(&*openapi) else { return };
    let sent = schemas_in_request_bodies(&document);
    let single_line = crate::text::pattern(false);
    let multi_line = crate::text::pattern(true);
    let text = |multiline: bool| if multiline { multi_line.as_str() } else { single_line.as_str() };
    // `text`: None outside request bodies; Some(multiline) inside.
    fn walk(value: &mut serde_json::Value, text: Option<bool>, pattern: &dyn Fn(Option<bool>) -> String) {
        match value {
            serde_json::Value::Object(map) => {
                pattern_cursors(map);
                let is_string = map.get("type").is_some_and(|t| {
                    t == "string" || t.as_array().is_some_and(|types| types.iter().any(|t| t == "string"))
                });
                let constrained = ["format", "pattern", "enum", "const"].iter().any(|k| map.contains_key(*k));
                if is_string && !constrained {
                    map.insert("pattern".into(), pattern(text).into());
                }
                if map.get("additionalProperties").is_some_and(|extra| extra != false)
                    && !map.contains_key("propertyNames")
                {
                    map.insert("propertyNames".into(), serde_json::json!({"pattern": pattern(text.map(|_| false))}));
                }
                for (key, child) in map.iter_mut() {
                    match key.as_str() {
                        // Examples are data, not schemas.
                        "example" | "examples" => {}
                        "properties" => {
                            let Some(properties) = child.as_object_mut() else { continue };
                            for (name, property) in properties.iter_mut() {
                                let multiline = crate::text::is_multiline(name) || name == "custom";
                                walk(property, text.map(|inherited| inherited || multiline), pattern);
                            }
                        }
                        _ => walk(child, text, pattern),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| walk(item, text, pattern)),
            _ => {}
        }
    }
    let pattern = |text_rules: Option<bool>| text_rules.map_or(NO_NUL_PATTERN, text).to_string();
    if let Some(schemas) = document.pointer_mut("/components/schemas").and_then(|s| s.as_object_mut()) {
        for (name, schema) in schemas.iter_mut() {
            walk(schema, sent.contains(name).then_some(false), &pattern);
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for operation in paths.values_mut().filter_map(|item| item.as_object_mut()).flat_map(|item| item.values_mut()) {
            let Some(operation) = operation.as_object_mut() else { continue };
            for (key, part) in operation.iter_mut() {
                walk(part, (key == "requestBody").then_some(false), &pattern);
            }
        }
    }
    if let Ok(finished) = serde_json::from_value(document) {
        *openapi = finished;
    }
}

/// The component schemas a request body uses, directly or through others.
fn schemas_in_request_bodies(document: &serde_json::Value) -> std::collections::BTreeSet<String> {
    fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(name) =
                    map.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_string());
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    for item in document["paths"].as_object().into_iter().flat_map(|paths| paths.values()) {
        for operation in item.as_object().into_iter().flat_map(|item| item.values()) {
            refs(&operation["requestBody"], &mut pending);
        }
    }
    let mut sent = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if sent.insert(name.clone()) {
            refs(&document["components"]["schemas"][&name], &mut pending);
        }
    }
    sent
}

/// utoipa inlines a generic's type argument, so each `Page_X` would carry a copy of `X`: point
/// its `data` items at the `X` component instead, so SDKs get one type per record, not two.
fn reference_page_items(components: &mut utoipa::openapi::Components) {
    let names: std::collections::BTreeSet<String> = components.schemas.keys().cloned().collect();
    for (name, schema) in components.schemas.iter_mut() {
        let Some(item) = name.strip_prefix("Page_").filter(|item| names.contains(*item)) else { continue };
        let RefOr::T(Schema::Object(page)) = schema else { continue };
        if let Some(RefOr::T(Schema::Array(data))) = page.properties.get_mut("data") {
            data.items = ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(item))));
        }
    }
}

/// Whether the operation needs credentials (`security(())` lists one empty requirement).
fn is_secured(operation: &Operation) -> bool {
    operation.security.as_ref().is_some_and(|requirements| {
        requirements.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty())))
    })
}

/// Whether the operation takes the organization's credentials (`bearer`), not a customer's.
fn takes_organization_credentials(operation: &Operation) -> bool {
    operation.security.as_ref().is_some_and(|requirements| {
        requirements.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some()))
    })
}

/// Every POST with the organization's credentials takes an `Idempotency-Key` (the idempotency
/// middleware serves them all).
fn add_idempotency_key(operation: &mut Operation) {
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: a repeat within 24 h gets the first answer again, marked `Idempotent-Replayed: true`.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(crate::http::idempotency::KEY_PATTERN))
                .max_length(Some(255)),
        ))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(parameter));
    let responses = &mut operation.responses.responses;
    responses.entry("409".to_string()).or_insert_with(|| {
        problem("The Idempotency-Key is still in flight or was used with a different request, or the change conflicts")
    });
    // Not for the key (its reuse is a 409), but bodyless actions such as a restore can still
    // meet stored values that no longer pass (a custom field's rules changed, say).
    responses
        .entry("422".to_string())
        .or_insert_with(|| problem("Invalid input: `errors` points at each invalid field"));
}

/// The errors any operation can answer; `writes` for the methods that change something.
fn add_standard(operation: &mut Operation, writes: bool) {
    // Liveness is the one operation that never reaches the database.
    let uses_database = operation.operation_id.as_deref() != Some("get_liveness");
    let secured = is_secured(operation);
    let has_body = operation.request_body.is_some();
    let takes_if_match = operation
        .parameters
        .as_ref()
        .is_some_and(|ps| ps.iter().any(|p| matches!(p, RefOr::T(p) if p.name == crate::http::IF_MATCH_HEADER)));
    let has_path_params = operation
        .parameters
        .as_ref()
        .is_some_and(|ps| ps.iter().any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Path))));
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses.entry(status.to_string()).or_insert_with(|| problem(description));
    };
    add("400", "Malformed request: the JSON body or a query parameter cannot be read");
    if secured {
        add("401", "Missing, invalid, expired or revoked credentials");
        add("403", "The caller's role or the key's scopes do not allow this");
    }
    if has_path_params {
        add("404", "No such record in your organization");
    }
    if has_body {
        add("408", "The request body stopped arriving (`request_timeout`): the connection is closed");
        add("413", "The request body is too large");
        add("415", "The body is not application/json");
        add("422", "Invalid input: `errors` points at each invalid field");
    }
    if takes_if_match {
        add("412", "The record changed since that ETag: fetch it again and retry");
    }
    add("429", "Rate limited: retry after the `Retry-After` seconds");
    add("431", "The request's headers are over `CRM_MAX_HEADER_BYTES` (`headers_too_large`)");
    add("500", "The server failed; the body reveals nothing internal");
    if uses_database {
        add("503", "The database is unreachable or busy (`database_unavailable`): retry after `Retry-After`");
    }
    if writes {
        add("507", "The database has no space left (`insufficient_storage`): nothing was written");
    }
}
