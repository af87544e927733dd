//! Batches: up to 1,000 creates, updates or upserts in one request, each input with the
//! result it would have had alone, or all together (`atomic`). Domains bring the writes; this
//! is the shared envelope: the mode, the `match_on` rule, the per-input results and counts,
//! and a runner that gives each input its own savepoint.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError, Problem};

/// The most inputs a batch takes.
pub const MAX_INPUTS: usize = 1000;

/// How a batch matches its inputs to existing records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchMode {
    /// Every input is a new record.
    Create,
    /// Every input must match an existing record.
    Update,
    /// Update the match, or create when there is none.
    Upsert,
}

/// How a batch input or an imported row finds the record it means (`match_on`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOn {
    /// Its (first) e-mail address.
    Email,
    /// Its record id.
    Id,
    /// Its id in another system: `external_id:<source>`.
    ExternalId(String),
}

/// What every `match_on` matches, as the contract states it.
pub const MATCH_ON_PATTERN: &str = r"^(email|id|external_id:[a-z0-9_-]{1,32})$";

impl MatchOn {
    pub fn parse(raw: &str) -> Option<MatchOn> {
        match raw {
            "email" => Some(MatchOn::Email),
            "id" => Some(MatchOn::Id),
            other => other
                .strip_prefix("external_id:")
                .filter(|source| crate::records::is_source(source))
                .map(|source| MatchOn::ExternalId(source.to_string())),
        }
    }

    /// The request's rule, checked: 422 at `/match_on` when it is not one, or when an update or
    /// upsert has none.
    pub fn of_request(raw: Option<&str>, mode: BatchMode) -> ApiResult<Option<MatchOn>> {
        let parsed = match raw {
            None => None,
            Some(raw) => Some(MatchOn::parse(raw).ok_or_else(|| {
                ApiError::invalid_field("/match_on", "invalid_match", "email, id, or external_id:<source>")
            })?),
        };
        if parsed.is_none() && mode != BatchMode::Create {
            return Err(ApiError::invalid_field("/match_on", "required", "updates and upserts need match_on"));
        }
        Ok(parsed)
    }
}

/// 422 at `/inputs` unless there are 1 to [`MAX_INPUTS`].
pub fn check_size(inputs: usize) -> ApiResult<()> {
    if inputs == 0 || inputs > MAX_INPUTS {
        return Err(ApiError::invalid_field("/inputs", "length", "give 1 to 1000 inputs"));
    }
    Ok(())
}

/// What happened to one input, by id.
pub enum Outcome {
    Created(String),
    Updated(String),
    Unchanged(String),
    /// An update that matched no record.
    Unmatched,
}

/// What happened to one input.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub index: usize,
    /// `created`, `updated`, `unchanged` or `error`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Per-input results, in input order, and the counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub results: Vec<BatchResult>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

/// A problem whose field pointers are moved under the input they belong to.
pub fn item_problem(index: usize, error: &ApiError) -> Problem {
    let mut problem = error.problem();
    for field in &mut problem.errors {
        field.pointer = format!("/inputs/{index}/properties{}", field.pointer);
    }
    problem
}

/// The 422 `batch_failed` of an atomic batch, for its first failing input, if any.
pub fn atomic_failure<T>(outcomes: &[ApiResult<T>]) -> Option<ApiError> {
    let (index, error) = outcomes.iter().enumerate().find_map(|(i, o)| o.as_ref().err().map(|e| (i, e)))?;
    let mut failed =
        ApiError::unprocessable("batch_failed", format!("Input {index} failed: nothing was saved. {}", error.detail));
    failed.errors = item_problem(index, error).errors;
    if failed.errors.is_empty() {
        failed.errors.push(FieldError::new(format!("/inputs/{index}"), &error.code, &error.detail));
    }
    Some(failed)
}

/// The response for these outcomes; an unmatched update reports `not_found` for `record`.
pub fn response(outcomes: Vec<ApiResult<Outcome>>, record: &str) -> BatchResponse {
    let results: Vec<BatchResult> = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| {
            let (status, id) = match outcome {
                Ok(Outcome::Created(id)) => ("created", id),
                Ok(Outcome::Updated(id)) => ("updated", id),
                Ok(Outcome::Unchanged(id)) => ("unchanged", id),
                Ok(Outcome::Unmatched) | Err(_) => {
                    let error = match outcome {
                        Err(error) => error,
                        _ => ApiError::not_found(&format!("{record} matching this input")),
                    };
                    let error = Some(item_problem(index, &error));
                    return BatchResult { index, status: "error".into(), id: None, error };
                }
            };
            BatchResult { index, status: status.into(), id: Some(id), error: None }
        })
        .collect();
    let count = |status: &str| results.iter().filter(|r| r.status == status).count();
    BatchResponse {
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        failed: count("error"),
        results,
    }
}

/// Applies each input in its own savepoint (a failing input rolls back alone); `atomic` stops
/// at the first failure, which [`atomic_failure`] then reports (the caller's transaction
/// rolls everything back).
pub fn each<I>(
    conn: &mut DbConnection,
    inputs: Vec<I>,
    atomic: bool,
    mut write: impl FnMut(&mut DbConnection, I) -> ApiResult<Outcome>,
) -> ApiResult<Vec<ApiResult<Outcome>>> {
    use diesel::Connection;
    let mut outcomes = Vec::with_capacity(inputs.len());
    for input in inputs {
        let outcome = conn.transaction(|conn| write(conn, input));
        let failed = outcome.is_err();
        outcomes.push(outcome);
        if failed && atomic {
            break;
        }
    }
    Ok(outcomes)
}
