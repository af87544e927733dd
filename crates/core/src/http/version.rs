//! Optimistic concurrency: every record has a `version`; responses carry `ETag: "<version>"`
//! and writes with `If-Match` answer 412 when the record has moved on.

use actix_web::HttpRequest;
use actix_web::http::header::{ETAG, HeaderValue, IF_MATCH};

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
