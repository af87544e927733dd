//! `Idempotency-Key` on POST: the first request's status and body are stored for 24 h per
//! (principal, key) with a hash of the request; a repeat gets them again with
//! `Idempotent-Replayed: true`; the same key with another request is a 409
//! `idempotency_key_reused`, and so is a repeat while the first is still running
//! (`idempotency_in_progress`). Server errors are not stored, so they can be retried.
//!
//! The key's claim, the change and the stored response are one database transaction (a
//! [`crate::db::RequestTransaction`]), so a crash at any point either leaves nothing or leaves
//! the change with its response: a retry never runs a committed change twice. A streamed upload
//! commits its chunks as they come (it may take minutes) and claims its key at the end, with
//! what it created and its response.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, ETAG, HeaderName, HeaderValue, LOCATION, RETRY_AFTER};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use futures_util::StreamExt;

use crate::auth::Actor;
use crate::auth::secrets::sha256_hex;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::idempotency_keys as keys;
use crate::scope::Scope;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The keys the check below accepts, as the contract states them: 1–255 visible ASCII characters.
pub const KEY_PATTERN: &str = "^[!-~]{1,255}$";
const KEEP_HOURS: i64 = 24;

enum Claim {
    Fresh,
    Replay { status: i32, body: String, headers: Vec<(String, String)> },
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req.headers().get(IDEMPOTENCY_KEY).map(|v| v.to_str().unwrap_or("").to_string());
    let actor = req.extensions().get::<Actor>().cloned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(key), Some(actor), Some(state), true) = (key, actor, state, req.method() == Method::POST) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !is_valid_key(&key) {
        return Ok(refuse(
            req,
            ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key must be 1–255 visible ASCII characters."),
        ));
    }

    // Read the body to fingerprint the request, then hand it back to the handler. A streamed
    // upload (multipart: imports) has no size limit and is not buffered: its fingerprint is
    // the method and URI only, so a retry with the same key replays, whatever the file.
    let streamed = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let mut body = web::BytesMut::new();
    let mut payload = if streamed { actix_web::dev::Payload::None } else { req.take_payload() };
    while let Some(chunk) = payload.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return Ok(refuse(req, super::client_limits::unreadable(&e))),
        };
        if body.len() + chunk.len() > state.config.max_body_bytes {
            return Ok(refuse(req, ApiError::payload_too_large()));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let mut fingerprint = format!("{} {}\n", req.method(), req.uri()).into_bytes();
    fingerprint.extend_from_slice(&body);
    let hash = sha256_hex(&fingerprint);
    if !streamed {
        req.set_payload(bytes_payload(body));
    }

    let target = Target { org_id: actor.org_id.clone(), principal: actor.principal_id().to_string(), key };

    // The claim, the change and the stored response commit together, or not at all: a crash
    // at any point leaves either nothing (a retry runs the request) or all three (it replays).
    // An upload is only looked up first, so that no transaction is held while it streams (its
    // chunks commit as they come): its key is claimed at the end, with what it created.
    let transaction = state.db.request_transaction();
    let looked_up = {
        let (scope, target, hash) = (actor.scope(), target.clone(), hash.clone());
        let look = move |conn: &mut DbConnection| claim(conn, &scope, &target, &hash, !streamed);
        if streamed { state.db.write_apart(look).await } else { transaction.run(look).await }
    };
    let response = match looked_up {
        Ok(Claim::Fresh) => transaction.scope(next.call(req)).await,
        Ok(Claim::Replay { status, body, headers }) => {
            end(transaction.rollback().await);
            return Ok(replay(req, status, body, headers));
        }
        Err(error) => {
            end(transaction.rollback().await);
            return Ok(refuse(req, error));
        }
    };
    let response = match response {
        Ok(response) if !response.status().is_server_error() => response.map_into_boxed_body(),
        // Server errors are not kept: the retry runs the request again.
        other => {
            end(transaction.rollback().await);
            return other.map(ServiceResponse::map_into_boxed_body);
        }
    };
    let (req, head, answer) = take_answer(response).await;
    let bytes = answer.body.clone();
    let stored = {
        let scope = actor.scope();
        transaction
            .run(move |conn| {
                if streamed {
                    // Another upload with this key may have finished meanwhile: its answer stands.
                    if let Claim::Replay { status, body, headers } = claim(conn, &scope, &target, &hash, true)? {
                        return Ok(Some((status, body, headers)));
                    }
                }
                store(conn, &target, answer).map(|()| None)
            })
            .await
    };
    let committed = match stored {
        Ok(None) => transaction.commit().await,
        Ok(Some((status, body, headers))) => {
            end(transaction.rollback().await);
            return Ok(replay(ServiceRequest::from_parts(req, actix_web::dev::Payload::None), status, body, headers));
        }
        Err(error) => {
            end(transaction.rollback().await);
            Err(error)
        }
    };
    match committed {
        Ok(()) => Ok(ServiceResponse::new(req, head.set_body(bytes).map_into_boxed_body())),
        // Not committed, so not done: the client must not see a success.
        Err(error) => Ok(ServiceResponse::new(req, error.error_response())),
    }
}

/// Whose key it is.
#[derive(Clone)]
struct Target {
    org_id: String,
    principal: String,
    key: String,
}

/// A response as the key keeps it.
struct Answer {
    status: StatusCode,
    body: web::Bytes,
    /// The headers that belong to the answer itself, replayed with it, as JSON pairs.
    headers: String,
}

fn replay(req: ServiceRequest, status: i32, body: String, headers: Vec<(String, String)>) -> ServiceResponse<BoxBody> {
    let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true")));
    for (name, value) in headers {
        response.insert_header((name, value));
    }
    let (req, _) = req.into_parts();
    ServiceResponse::new(req, response.body(body))
}

/// Splits a response into its request, its head and what the key keeps of it.
async fn take_answer(response: ServiceResponse<BoxBody>) -> (actix_web::HttpRequest, HttpResponse<()>, Answer) {
    let status = response.status();
    let kept: Vec<(String, String)> = [CONTENT_TYPE, LOCATION, ETAG, RETRY_AFTER]
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(name)?.to_str().ok()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    let headers = serde_json::to_string(&kept).unwrap_or_default();
    let (req, res) = response.into_parts();
    let (head, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body).await.unwrap_or_default();
    (req, head, Answer { status, body, headers })
}

fn store(conn: &mut DbConnection, target: &Target, answer: Answer) -> ApiResult<()> {
    diesel::update(keys::table.find((&target.org_id, &target.principal, &target.key)))
        .set((
            keys::response_status.eq(i32::from(answer.status.as_u16())),
            keys::response_body.eq(String::from_utf8_lossy(&answer.body).into_owned()),
            keys::response_headers.eq(answer.headers),
        ))
        .execute(conn)?;
    Ok(())
}

/// Logs a rollback that failed: the pool discards the connection, which rolls it back anyway.
fn end(result: ApiResult<()>) {
    if let Err(e) = result {
        log::warn!("could not roll back a request's transaction: {e}");
    }
}

fn refuse(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    let (req, _) = req.into_parts();
    ServiceResponse::new(req, error.error_response())
}

fn bytes_payload(bytes: web::Bytes) -> actix_web::dev::Payload {
    actix_web::dev::Payload::from(bytes)
}

type Stored = (String, Option<i32>, Option<String>, Option<String>, NaiveDateTime);

/// What the key holds for this request: its stored answer (replay), a conflict, or nothing, in
/// which case `take` claims it (a row without an answer, committed with the answer).
fn claim(conn: &mut DbConnection, scope: &Scope, key: &Target, hash: &str, take: bool) -> ApiResult<Claim> {
    let (principal, key) = (key.principal.as_str(), key.key.as_str());
    let org_id = scope.org_id();
    let now = crate::time::now();
    let existing: Option<Stored> = keys::table
        .find((org_id, principal, key))
        .select((
            keys::request_hash,
            keys::response_status,
            keys::response_body,
            keys::response_headers,
            keys::created_at,
        ))
        .first(conn)
        .optional()?;
    match existing {
        Some((stored_hash, status, body, headers, created_at)) if created_at > now - Duration::hours(KEEP_HOURS) => {
            if stored_hash != hash {
                // 409, not 422: the request itself is valid; it conflicts with what the key holds.
                return Err(ApiError::conflict(
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request: use a new key.",
                ));
            }
            // A key is committed with its answer, so one without is from before that rule: stale.
            if let Some(status) = status {
                let headers = headers.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
                return Ok(Claim::Replay { status, body: body.unwrap_or_default(), headers });
            }
            diesel::delete(keys::table.find((org_id, principal, key))).execute(conn)?;
        }
        Some(_) => {
            diesel::delete(keys::table.find((org_id, principal, key))).execute(conn)?;
        }
        None => {}
    }
    if !take {
        return Ok(Claim::Fresh);
    }
    diesel::insert_into(keys::table)
        .values((
            keys::org_id.eq(org_id),
            keys::principal_id.eq(principal),
            keys::key.eq(key),
            keys::request_hash.eq(hash),
            keys::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(|e| match e {
            // A concurrent request with the same key claimed it first.
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict(
                    "idempotency_in_progress",
                    "A request with this Idempotency-Key is being processed: retry later.",
                )
            }
            other => other.into(),
        })?;
    Ok(Claim::Fresh)
}

/// The hourly job deleting expired keys.
/// Whether `key` matches [`KEY_PATTERN`].
fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic())
}

pub const PURGE_KIND: &str = "idempotency_keys.purge";

/// Deletes the organization's keys older than 24 h (the hourly `idempotency_keys.purge` job).
pub fn purge_expired(conn: &mut DbConnection, scope: &Scope) -> ApiResult<usize> {
    let org_id = scope.org_id();
    let cutoff = crate::time::now() - Duration::hours(KEEP_HOURS);
    Ok(diesel::delete(keys::table.filter(keys::org_id.eq(org_id)).filter(keys::created_at.lt(cutoff))).execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_pattern_and_the_check_agree() {
        let pattern = regex::Regex::new(KEY_PATTERN).unwrap();
        let long = "k".repeat(256);
        for key in ["a", "create-once-1", "~!", &long[..255], &long, "", "has space", "é", "tab\t", "\u{7f}"] {
            assert_eq!(pattern.is_match(key), is_valid_key(key), "{key:?}");
        }
    }
}
