//! One error type for every endpoint, rendered once as RFC 9457 `application/problem+json`.
//!
//! `request_id` and `instance` are filled in by the request-id middleware, which sees the
//! request; handlers only say what went wrong.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field, addressed by a JSON pointer into the request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// JSON pointer to the field, e.g. `/email` (or the query parameter's name).
    #[schema(example = "/email")]
    pub pointer: String,
    /// Machine-readable reason.
    #[schema(example = "email")]
    pub code: String,
    /// What a person should fix.
    #[schema(example = "must be a valid e-mail address")]
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { pointer: pointer.into(), code: code.into(), detail: detail.into() }
    }
}

/// The RFC 9457 body every error response carries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://docs.crm.dev/errors/validation_failed",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "The request has 1 invalid field.",
    "instance": "/v1/users",
    "code": "validation_failed",
    "request_id": "req_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "errors": [{"pointer": "/email", "code": "email", "detail": "must be a valid e-mail address"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_url: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error answered to the client. Build it with the constructors; internals never leave the server.
#[derive(Debug, thiserror::Error)]
#[error("{status} {code}: {detail}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
}

const DATABASE_UNAVAILABLE: &str = "database_unavailable";

/// The most field errors one problem lists.
pub const MAX_FIELD_ERRORS: usize = 100;

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { status, code: code.into(), detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404 for a record that does not exist, or belongs to another organization.
    pub fn not_found(resource: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("No such {resource}."))
    }

    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn precondition_failed(current_version: i64) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            format!("The record has changed: its current version is {current_version}. Fetch it again and retry."),
        )
    }

    /// 422 with one error per invalid field.
    /// 422 listing the invalid fields: the first [`MAX_FIELD_ERRORS`], so a huge bad body
    /// gets a small answer.
    pub fn validation(mut errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "The request has 1 invalid field.".to_string(),
            n if n > MAX_FIELD_ERRORS => {
                format!("The request has {n} invalid fields; the first {MAX_FIELD_ERRORS} are listed.")
            }
            n => format!("The request has {n} invalid fields."),
        };
        errors.truncate(MAX_FIELD_ERRORS);
        Self { errors, ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail) }
    }

    /// 422 for one field.
    pub fn invalid_field(pointer: &str, code: &str, detail: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(pointer, code, detail)])
    }

    pub fn unprocessable(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 413: the body is over `CRM_MAX_BODY_BYTES`.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is larger than the server accepts.",
        )
    }

    /// 415: the body is not JSON in UTF-8.
    pub fn unsupported_media_type(detail: &str) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", detail)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many requests: retry in {retry_after} s."),
            )
        }
    }

    /// 500: logs the cause, tells the client nothing about it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "The server failed to complete the request.")
    }

    /// 503 while the database cannot be reached or is busy: send the same request again after
    /// `Retry-After` (a create with its `Idempotency-Key`, in case the connection died as it
    /// committed). Never a failed credential.
    pub fn database_unavailable() -> Self {
        ApiError {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                DATABASE_UNAVAILABLE,
                "The database is not reachable right now: retry after Retry-After, a create with the same Idempotency-Key.",
            )
        }
    }

    /// Whether this is [`ApiError::database_unavailable`].
    pub fn is_database_unavailable(&self) -> bool {
        self.code == DATABASE_UNAVAILABLE
    }

    pub fn service_unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    pub fn problem(&self) -> Problem {
        problem_body(self.status, &self.code, &self.detail, self.errors.clone())
    }
}

/// The problem body for a status, with the standard title and a type URL derived from the code.
pub fn problem_body(status: StatusCode, code: &str, detail: &str, errors: Vec<FieldError>) -> Problem {
    Problem {
        type_url: format!("https://docs.crm.dev/errors/{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: detail.to_string(),
        instance: None,
        code: code.to_string(),
        request_id: None,
        errors,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type(PROBLEM_JSON);
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // What is left of the body would be read as the next request.
            response.force_close();
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::not_found("record"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                log::debug!("unique violation: {}", info.message());
                ApiError::conflict("already_exists", "A record with the same unique value already exists.")
            }
            // Every reference is checked before a write; a violation means the record referred
            // to went in between (a plan read without a transaction, on PostgreSQL).
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                log::debug!("foreign key violation: {}", info.message());
                ApiError::conflict("reference_gone", "A record this change refers to was removed meanwhile.")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ApiError {
                retry_after: Some(1),
                ..ApiError::conflict("concurrent_update", "A concurrent change interfered: retry.")
            },
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                log::warn!("database connection lost: {}", info.message());
                ApiError::database_unavailable()
            }
            Error::BrokenTransactionManager => ApiError::database_unavailable(),
            Error::DatabaseError(_, info) if is_busy(info.message()) => {
                log::warn!("database busy: {}", info.message());
                ApiError::database_unavailable()
            }
            Error::DatabaseError(_, info) if is_full(info.message()) => {
                log::error!("database storage full: {}", info.message());
                ApiError {
                    retry_after: Some(60),
                    ..ApiError::new(
                        StatusCode::INSUFFICIENT_STORAGE,
                        "insufficient_storage",
                        "The database has no space left to store this change; nothing was written.",
                    )
                }
            }
            other => ApiError::internal(format!("database: {other}")),
        }
    }
}

/// SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED` (a writer outside this process held the lock past
/// the busy timeout): a retry later succeeds.
fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database table is locked")
}

/// SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full` and a failed file extension.
fn is_full(message: &str) -> bool {
    message.contains("database or disk is full") || message.contains("No space left on device")
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        log::warn!("database pool: {e}");
        ApiError::database_unavailable()
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(format!("json: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
