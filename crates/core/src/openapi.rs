//! Contract helpers: the error responses every operation can give, added in one place
//! (where the middleware that produces them is), so handlers list only their own.

use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
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
        for item in openapi.paths.paths.values_mut() {
            if let Some(post) = item.post.as_mut().filter(|op| is_secured(op)) {
                add_idempotency_key(post);
            }
            for operation in
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
            {
                add_standard(operation);
            }
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
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255))))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(parameter));
    let responses = &mut operation.responses.responses;
    responses
        .entry("409".to_string())
        .or_insert_with(|| problem("A request with this Idempotency-Key is still in flight, or the change conflicts"));
    responses
        .entry("422".to_string())
        .or_insert_with(|| problem("Invalid input, or an Idempotency-Key reused with a different request"));
}

fn add_standard(operation: &mut Operation) {
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
}
