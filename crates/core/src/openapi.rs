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
        reference_page_items(components);
        for item in openapi.paths.paths.values_mut() {
            if let Some(post) = item.post.as_mut().filter(|op| is_secured(op)) {
                add_idempotency_key(post);
            }
            if let Some(get) = item.get.as_mut() {
                add_standard(get, false);
            }
            for operation in [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
                add_standard(operation, true);
            }
        }
        forbid_nul_in_strings(openapi);
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

fn forbid_nul_in_strings(openapi: &mut OpenApi) {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                pattern_cursors(map);
                let is_string = map.get("type").is_some_and(|t| {
                    t == "string" || t.as_array().is_some_and(|types| types.iter().any(|t| t == "string"))
                });
                let constrained = ["format", "pattern", "enum", "const"].iter().any(|k| map.contains_key(*k));
                if is_string && !constrained {
                    map.insert("pattern".into(), NO_NUL_PATTERN.into());
                }
                if map.get("additionalProperties").is_some_and(|extra| extra != false)
                    && !map.contains_key("propertyNames")
                {
                    map.insert("propertyNames".into(), serde_json::json!({"pattern": NO_NUL_PATTERN}));
                }
                // Examples are data, not schemas.
                map.iter_mut().filter(|(k, _)| *k != "example" && *k != "examples").for_each(|(_, v)| walk(v));
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let Ok(mut document) = serde_json::to_value(&*openapi) else { return };
    walk(&mut document);
    if let Ok(finished) = serde_json::from_value(document) {
        *openapi = finished;
    }
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

/// Every authenticated POST takes an `Idempotency-Key` (the idempotency middleware serves them all).
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
        add("413", "The request body is too large");
        add("415", "The body is not application/json");
        add("422", "Invalid input: `errors` points at each invalid field");
    }
    if takes_if_match {
        add("412", "The record changed since that ETag: fetch it again and retry");
    }
    add("429", "Rate limited: retry after the `Retry-After` seconds");
    add("500", "The server failed; the body reveals nothing internal");
    if uses_database {
        add("503", "The database is unreachable or busy (`database_unavailable`): retry after `Retry-After`");
    }
    if writes {
        add("507", "The database has no space left (`insufficient_storage`): nothing was written");
    }
}
