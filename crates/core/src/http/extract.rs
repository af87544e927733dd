//! Extractors that answer problem+json: a JSON body that is parsed with field pointers
//! (unknown fields rejected by the DTOs' `deny_unknown_fields`) and then validated, and
//! error handlers for actix's own query, path and JSON extractors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError};

/// A JSON body, deserialized and validated: 415 without a JSON content type, 400 when it is
/// not JSON, 422 with pointers when a field is wrong.
#[derive(Debug)]
pub struct ValidatedJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media_type = json_media_type(req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            media_type?;
            let bytes = bytes.await.map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                Some(unreadable) => super::client_limits::unreadable(unreadable).into(),
                None => e,
            })?;
            let value = parse_json::<T>(&bytes)?;
            value.validate().map_err(|e| ApiError::validation(field_errors(&e)))?;
            Ok(ValidatedJson(value))
        })
    }
}

/// 415 unless the content type is `application/json` or `*+json`, in UTF-8 (JSON's only
/// encoding, RFC 8259): a `charset` other than UTF-8 would have the body read as something it
/// is not.
pub fn json_media_type(content_type: Option<&str>) -> Result<(), ApiError> {
    let unsupported = ApiError::unsupported_media_type;
    let mut parts = content_type.unwrap_or("").split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(unsupported("Send the body as application/json."));
    }
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else { continue };
        let value = value.trim().trim_matches('"').to_ascii_lowercase();
        if name.trim().eq_ignore_ascii_case("charset") && value != "utf-8" && value != "utf8" {
            return Err(unsupported("Send the body as application/json in UTF-8 (no other charset)."));
        }
    }
    Ok(())
}

/// Trimmed text, with blank text as none: how optional text fields are stored.
pub fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Parses a JSON body, mapping serde's errors to 400 (not JSON) or 422 (wrong field). Every
/// string is held to [`crate::text`] (422 with pointers) and stored in NFC.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |e: &dyn std::fmt::Display| {
        ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {}.", public_message(e)))
    };
    // Most bodies are plain ASCII without escapes: nothing to check or normalize, one pass.
    let cleaned = if crate::text::is_plain_json(bytes) {
        None
    } else {
        let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
        let errors = crate::text::clean_json(&mut value);
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Some(value)
    };
    let mut parsed: Result<T, _> = match &cleaned {
        Some(value) => serde_path_to_error::deserialize(value),
        None => {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            let parsed = serde_path_to_error::deserialize(&mut deserializer);
            if parsed.is_ok()
                && let Err(e) = deserializer.end()
            {
                return Err(malformed(&e));
            }
            parsed
        }
    };
    // JSON Schema's `integer` includes 3.0, serde's i64 does not: a body refused for its types
    // is read again with its integral numbers as integers (rare, so the common path stays one pass).
    if parsed.as_ref().is_err_and(|e| e.inner().is_data())
        && let Some(mut value) = cleaned.or_else(|| serde_json::from_slice::<serde_json::Value>(bytes).ok())
        && integral_floats_to_integers(&mut value)
    {
        parsed = serde_path_to_error::deserialize(value);
    }
    parsed.map_err(|error| {
        let inner = error.inner();
        if inner.is_syntax() || inner.is_eof() || bytes.iter().all(u8::is_ascii_whitespace) {
            return malformed(inner);
        }
        let mut pointer = path_pointer(error.path());
        let message = public_message(inner);
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        let code = if let Some(rest) = message.strip_prefix("unknown field `") {
            if let Some(name) = rest.split('`').next() {
                pointer = child_pointer(&pointer, name);
            }
            "unknown_field"
        } else if message.starts_with("missing field `") {
            if let Some(name) = message.trim_start_matches("missing field `").split('`').next() {
                pointer = child_pointer(&pointer, name);
            }
            "required"
        } else {
            "invalid_type"
        };
        ApiError::validation(vec![FieldError::new(pointer, code, message)])
    })
}

/// serde's message without the server's own type names ("expected struct ContactIn" says
/// nothing to a client and names an internal type): "expected an object".
fn public_message(error: &dyn std::fmt::Display) -> String {
    let message = error.to_string();
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(at) = rest.find("expected ") {
        let (head, tail) = rest.split_at(at + "expected ".len());
        out.push_str(head);
        let (replacement, kind) = [
            ("a JSON object", "struct "),
            ("a JSON object", "tuple struct "),
            ("a JSON object", "unit struct "),
            ("one of the documented values", "enum "),
            ("one of the documented values", "variant identifier"),
        ]
        .into_iter()
        .find(|(_, kind)| tail.starts_with(kind))
        .unwrap_or(("", ""));
        if kind.is_empty() {
            rest = tail;
            continue;
        }
        out.push_str(replacement);
        let name = &tail[kind.len()..];
        rest = &name[name.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(name.len())..];
    }
    out.push_str(rest);
    out
}

/// Rewrites every float with no fractional part (in i64's range) as an integer; says whether
/// it rewrote any.
fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => {
                *value = serde_json::Value::from(f as i64);
                true
            }
            _ => false,
        },
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |any, v| integral_floats_to_integers(v) | any),
        serde_json::Value::Object(map) => map.values_mut().fold(false, |any, v| integral_floats_to_integers(v) | any),
        _ => false,
    }
}

/// `parent/name`, unless serde's path already ends at `name`.
fn child_pointer(parent: &str, name: &str) -> String {
    if parent.ends_with(&format!("/{name}")) { parent.to_string() } else { format!("{parent}/{name}") }
}

fn path_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{key}")),
            Segment::Enum { variant } => pointer.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    pointer
}

/// `validator`'s nested errors as a flat list of JSON pointers.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, String::new(), &mut out);
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out
}

fn collect(errors: &ValidationErrors, prefix: String, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let pointer = format!("{prefix}/{field}");
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let detail = e.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| default_message(&e.code));
                    out.push(FieldError::new(pointer.clone(), e.code.to_string(), detail));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, pointer, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, format!("{pointer}/{index}"), out);
                }
            }
        }
    }
}

fn default_message(code: &str) -> String {
    match code {
        "email" => "must be a valid e-mail address".into(),
        "length" => "has the wrong length".into(),
        "range" => "is out of range".into(),
        "url" => "must be a valid URL".into(),
        other => format!("is invalid ({other})"),
    }
}

/// Query-string errors as 400 problem+json.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::bad_request("invalid_query", format!("The query string is invalid: {err}.")).into()
    })
}

/// Path errors as 404 problem+json (a malformed id names no record).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| ApiError::not_found("record").into())
}

/// Errors of plain `web::Json` extractors, should a handler use one.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _| {
        use actix_web::error::JsonPayloadError;
        match err {
            JsonPayloadError::ContentType => {
                ApiError::unsupported_media_type("Send the body as application/json.").into()
            }
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::payload_too_large().into()
            }
            other => ApiError::bad_request("malformed_json", other.to_string()).into(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        #[validate(email)]
        email: String,
        count: u32,
    }

    #[test]
    fn pointers_name_the_field() {
        let unknown = parse_json::<Input>(br#"{"email": "a@b.co", "count": 1, "extra": 1}"#).unwrap_err();
        assert_eq!(unknown.errors[0].pointer, "/extra");
        assert_eq!(unknown.errors[0].code, "unknown_field");
        let wrong = parse_json::<Input>(br#"{"email": "a@b.co", "count": "x"}"#).unwrap_err();
        assert_eq!(wrong.errors[0].pointer, "/count");
        let missing = parse_json::<Input>(br#"{"email": "a@b.co"}"#).unwrap_err();
        assert_eq!(missing.errors[0].pointer, "/count");
        let nul = parse_json::<Input>(br#"{"email": "a\u0000@b.co", "count": 1}"#).unwrap_err();
        assert_eq!(nul.errors[0].code, "invalid_character");
        assert!(parse_json::<Input>(br#"{"email": "a\\u0000@b.co", "count": 1}"#).is_ok());
        let syntax = parse_json::<Input>(br#"{"email": "#).unwrap_err();
        assert_eq!(syntax.status, 400);
        let input = parse_json::<Input>(br#"{"email": "nope", "count": 1}"#).unwrap();
        let errors = field_errors(&input.validate().unwrap_err());
        assert_eq!(errors[0].pointer, "/email");
    }

    #[test]
    fn json_in_utf_8_only() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "application/merge-patch+json",
            "Application/JSON;charset=\"UTF-8\"",
        ] {
            assert!(json_media_type(Some(ok)).is_ok(), "{ok}");
        }
        for refused in ["text/plain", "application/json; charset=iso-8859-1", "application/json;charset=utf-16"] {
            assert_eq!(json_media_type(Some(refused)).unwrap_err().status, 415, "{refused}");
        }
        assert!(json_media_type(None).is_err());
    }

    #[test]
    fn details_name_no_internal_type() {
        for body in [&b"[]"[..], b"null", b"\"text\"", br#"{"email": "\u00e9@b.co", "count": []}"#] {
            let error = parse_json::<Input>(body).unwrap_err();
            let text = format!("{} {:?}", error.detail, error.errors);
            assert!(!text.contains("Input") && !text.contains("struct"), "{text}");
        }
        assert_eq!(
            public_message(&"invalid type: sequence, expected struct ContactIn"),
            "invalid type: sequence, expected a JSON object"
        );
        assert_eq!(public_message(&"expected enum crm::Kind or null"), "expected one of the documented values or null");
    }

    #[test]
    fn strings_are_clean_and_nfc() {
        let bell = parse_json::<Input>("{\"email\": \"a\\u0007@b.co\", \"count\": 1}".as_bytes()).unwrap_err();
        assert_eq!((bell.errors[0].pointer.as_str(), bell.errors[0].code.as_str()), ("/email", "invalid_character"));
        let raw_del = parse_json::<Input>("{\"email\": \"a\u{7f}@b.co\", \"count\": 1}".as_bytes()).unwrap_err();
        assert_eq!(raw_del.errors[0].pointer, "/email");
        let decomposed = parse_json::<Input>("{\"email\": \"zoe\u{308}@b.co\", \"count\": 1}".as_bytes()).unwrap();
        assert_eq!(decomposed.email, "zo\u{eb}@b.co");
    }

    #[test]
    fn integral_floats_are_integers_as_json_schema_says() {
        let input = parse_json::<Input>(br#"{"email": "a@b.co", "count": 3.0}"#).unwrap();
        assert_eq!(input.count, 3);
        let big = parse_json::<Input>(br#"{"email": "a@b.co", "count": 4e3}"#).unwrap();
        assert_eq!(big.count, 4000);
        let fraction = parse_json::<Input>(br#"{"email": "a@b.co", "count": 3.5}"#).unwrap_err();
        assert_eq!((fraction.errors[0].pointer.as_str(), fraction.errors[0].code.as_str()), ("/count", "invalid_type"));
    }
}
