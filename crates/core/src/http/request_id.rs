//! `X-Request-Id` on every response, and the last line of defence for the error format:
//! any error response that is not yet problem+json (actix's own 404/405/413, payload and
//! extractor errors) is rewritten as one, and every problem gets `request_id` and `instance`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use crate::error::{PROBLEM_JSON, problem_body};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_string)
        .unwrap_or_else(|| crate::id::new_id("req"));
    req.extensions_mut().insert(RequestId(id.clone()));
    let instance = req.path().to_string();
    if req.path().contains("%00") || req.query_string().contains("%00") {
        // No path or query value may hold U+0000 (PostgreSQL text cannot store it).
        let (req, _) = req.into_parts();
        let error = crate::error::ApiError::bad_request("invalid_character", "The URL must not contain %00.");
        let response = ServiceResponse::new(req, actix_web::ResponseError::error_response(&error));
        return Ok(with_id(as_problem(response, &id, &instance).await, &id));
    }
    // Inner middleware answers its errors as responses; an Err here is rendered by actix itself.
    let response = next.call(req).await?.map_into_boxed_body();
    let response = if response.status().is_client_error() || response.status().is_server_error() {
        as_problem(response, &id, &instance).await
    } else {
        response
    };
    Ok(with_id(response, &id))
}

fn with_id(mut response: ServiceResponse<BoxBody>, id: &str) -> ServiceResponse<BoxBody> {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    response
}

async fn as_problem(response: ServiceResponse<BoxBody>, id: &str, instance: &str) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let is_problem =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(PROBLEM_JSON));
    let (req, res) = response.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes_limited(body, 64 * 1024).await.ok().and_then(Result::ok).unwrap_or_default();
    let parsed = is_problem.then(|| serde_json::from_slice::<serde_json::Value>(&bytes).ok()).flatten();
    // A body this layer cannot read back (larger than it reads) still answers a problem.
    let mut problem = if let Some(problem) = parsed.filter(serde_json::Value::is_object) {
        problem
    } else {
        let (code, detail) = default_problem(status);
        serde_json::to_value(problem_body(status, code, detail, Vec::new())).unwrap_or_default()
    };
    if let Some(object) = problem.as_object_mut() {
        object.insert("request_id".into(), id.into());
        object.insert("instance".into(), instance.into());
    }
    let mut builder = HttpResponse::build(status);
    for (name, value) in head.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder.content_type(PROBLEM_JSON);
    ServiceResponse::new(req, builder.body(problem.to_string()))
}

fn default_problem(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("bad_request", "The request could not be read."),
        StatusCode::UNAUTHORIZED => ("unauthorized", "Authentication is required."),
        StatusCode::FORBIDDEN => ("forbidden", "You may not do this."),
        StatusCode::NOT_FOUND => ("not_found", "There is nothing at this path."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This path does not accept this method."),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is larger than the server accepts."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Send the body as application/json."),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "The request took too long to arrive."),
        s if s.is_server_error() => ("internal_error", "The server failed to complete the request."),
        _ => ("error", "The request failed."),
    }
}
