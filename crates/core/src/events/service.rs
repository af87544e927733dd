//! The changes feed: sequence what has committed, read after the reader's position, and
//! optionally wait for something new.

use std::time::{Duration, Instant};

use super::dto::{EventOut, EventPage, EventsQuery};
use super::model::{self, TypePattern};
use crate::auth::Actor;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

const POLL_EVERY: Duration = Duration::from_millis(100);

pub async fn feed(db: &Db, actor: &Actor, query: EventsQuery) -> ApiResult<EventPage> {
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request("invalid_after", "after must be 0 or more."));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit must be between 1 and 1000."));
    }
    let wait = Duration::from_secs(query.wait.unwrap_or(0));
    if wait > Duration::from_secs(30) {
        return Err(ApiError::bad_request("invalid_wait", "wait must be between 0 and 30 seconds."));
    }
    let types = parse_types(query.types.as_deref())?;
    let deadline = Instant::now() + wait;
    loop {
        let (scope, types) = (actor.scope(), types.clone());
        let mut rows = db
            .read(move |conn| {
                model::sequence(conn, true)?;
                model::list(conn, &scope, after, &types, limit + 1)
            })
            .await?;
        if rows.is_empty() && Instant::now() < deadline {
            actix_web::rt::time::sleep(POLL_EVERY).await;
            continue;
        }
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_after = rows.last().and_then(|r| r.seq).unwrap_or(after);
        let data = rows.into_iter().map(EventOut::from_row).collect::<ApiResult<Vec<_>>>()?;
        return Ok(EventPage { data, has_more, next_after });
    }
}

fn parse_types(raw: Option<&str>) -> ApiResult<Vec<TypePattern>> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|t| {
            let t = t.trim();
            let valid = !t.is_empty()
                && t.len() <= 100
                && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.' || b == b'*');
            match t.strip_suffix(".*") {
                Some(prefix) if valid && !prefix.contains('*') && !prefix.is_empty() => {
                    Ok(TypePattern::Prefix(prefix.to_string()))
                }
                None if valid && !t.contains('*') => Ok(TypePattern::Exact(t.to_string())),
                _ => Err(ApiError::bad_request(
                    "invalid_types",
                    format!("{t:?} is not an event type or a pattern like contact.*."),
                )),
            }
        })
        .collect()
}

/// Keeps stamping events in the background so webhooks and the feed see them promptly.
pub async fn run_sequencer(db: Db) {
    if db.backend() != crate::db::Backend::Postgres {
        return;
    }
    loop {
        if let Err(e) = db.read(|conn| model::sequence(conn, false)).await {
            log::warn!("event sequencer: {e}");
        }
        actix_web::rt::time::sleep(POLL_EVERY).await;
    }
}
