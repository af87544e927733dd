//! The HTTP conventions, implemented once: request ids and problem+json for every error,
//! rate limits, idempotency keys, validated extractors, merge-patch fields, ETags, lists.

pub mod client_limits;
mod extract;
pub mod idempotency;
mod list;
mod patch;
mod rate_limit;
mod request_id;
mod version;

pub use client_limits::{ConnectionCounts, client_limits};
pub use extract::{ValidatedJson, field_errors, json_config, parse_json, path_config, query_config, trimmed};
pub use idempotency::idempotency;
pub use list::{
    CURSOR_PATTERN, Cursor, ListPlan, ListQuery, Page, Sort, SortField, SortKind, SortSource, Sorts, SqlSort, page,
};
pub use patch::Patch;
pub use rate_limit::{RateLimiter, client_key, rate_limit};
pub use request_id::{RequestId, request_id};
pub use version::{IF_MATCH_HEADER, IfMatch, check_version, etag, if_match};
