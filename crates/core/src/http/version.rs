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

/// What `If-Match` may hold: `*`, or an ETag this API sent (`"3"`, weak `W/"3"` too). The
/// contract's pattern and the parser below accept exactly the same values.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[0-9]{1,18}")$"#;

/// The version an `If-Match` header asks for: `None` when absent or `*`.
pub fn if_match(req: &HttpRequest) -> ApiResult<Option<i64>> {
    let Some(value) = req.headers().get(IF_MATCH) else {
        return Ok(None);
    };
    let invalid = || ApiError::bad_request("invalid_if_match", "If-Match must be an ETag this API sent, like \"3\".");
    let text = value.to_str().map_err(|_| invalid())?;
    if text == "*" {
        return Ok(None);
    }
    let quoted = text.strip_prefix("W/").unwrap_or(text);
    let digits = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).ok_or_else(invalid)?;
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    digits.parse::<i64>().map(Some).map_err(|_| invalid())
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
                .schema(Some(
                    ObjectBuilder::new().schema_type(Type::String).pattern(Some(IF_MATCH_PATTERN)).examples(["\"3\""]),
                ))
                .build(),
        ]
    }
}

/// The header's name as the contract spells it.
pub const IF_MATCH_HEADER: &str = "If-Match";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_pattern_and_the_parser_agree() {
        let pattern = regex::Regex::new(IF_MATCH_PATTERN).unwrap();
        for value in [
            "*",
            "\"3\"",
            "W/\"3\"",
            "\"0\"",
            "\"123456789012345678\"",
            "3",
            "\"3",
            "\"\"",
            "\"-1\"",
            "W/3",
            " \"3\"",
            "\"3\" ",
            "\"1234567890123456789\"",
            "\"3\",\"4\"",
            "**",
        ] {
            let req = actix_web::test::TestRequest::default().insert_header((IF_MATCH, value)).to_http_request();
            assert_eq!(pattern.is_match(value), if_match(&req).is_ok(), "{value}");
        }
        assert_eq!(
            if_match(&actix_web::test::TestRequest::default().insert_header((IF_MATCH, "W/\"7\"")).to_http_request())
                .unwrap(),
            Some(7)
        );
    }
}
