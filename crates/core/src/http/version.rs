//! Optimistic concurrency: every record has a `version`; responses carry `ETag: "<version>"`
//! and writes with `If-Match` answer 412 when the record has moved on.

use std::future::{Ready, ready};

use actix_web::http::header::{ETAG, HeaderValue, IF_MATCH};
use actix_web::{FromRequest, HttpRequest};
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};

use crate::error::{ApiError, ApiResult};

/// The `ETag` header for a version.
pub fn etag(version: i64) -> (actix_web::http::header::HeaderName, HeaderValue) {
    (ETAG, HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\"")))
}

/// The version an `If-Match` header asks for: `None` when absent or `*`.
pub fn if_match(req: &HttpRequest) -> ApiResult<Option<i64>> {
    let Some(value) = req.headers().get(IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    bare.parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::bad_request("invalid_if_match", "If-Match must be an ETag this API sent, like \"3\"."))
}

/// 412 unless the record is at the expected version.
pub fn check_version(expected: Option<i64>, current: i64) -> ApiResult<()> {
    match expected {
        Some(v) if v != current => Err(ApiError::precondition_failed(current)),
        _ => Ok(()),
    }
}

/// The `If-Match` of a write: the version it is based on (`None` when absent or `*`).
///
/// An extractor that documents itself: a handler takes `if_match: IfMatch` and lists `IfMatch`
/// in its `params(...)`; the contract's standard responses then add the 412.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl FromRequest for IfMatch {
    type Error = crate::error::ApiError;
    type Future = Ready<Result<IfMatch, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(if_match(req).map(IfMatch))
    }
}

impl utoipa::IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name(IF_MATCH_HEADER)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The ETag the change is based on (`\"3\"`): the write is refused with 412 if the record has \
                     moved on since. Without it, the write applies to the record as it is.",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).examples(["\"3\""])))
                .build(),
        ]
    }
}

/// The header's name as the contract spells it.
pub const IF_MATCH_HEADER: &str = "If-Match";
