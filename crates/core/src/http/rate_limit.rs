//! Rate limits per principal (API key or user), or per client address when anonymous:
//! a fixed one-minute window, announced with `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset`, and 429 with `Retry-After` past the limit.
//!
//! The count is shared by every gateway: a gateway leases a twentieth of a window's allowance at
//! a time and counts it down in memory, so the limit holds across gateways at the cost of one
//! round trip per lease, not per request. The shared count lives in the database
//! (`rate_limit_counters`, one upsert per lease) or, when `CRM_REDIS_URL` is set, in Redis (one
//! `INCRBY` per lease, expiring with its window). A gateway may refuse up to one lease per other
//! gateway early (what those hold unused). While the store does not answer, each gateway counts
//! alone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::auth::Actor;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::sql::{Piece, Statement};
use crate::state::AppState;

const WINDOW_SECS: u64 = 60;
/// A lease is this fraction of the window's limit (at least one request).
const LEASES_PER_WINDOW: u32 = 20;
/// How long a gateway counts alone after the store failed to grant a lease.
const STORE_BACKOFF: Duration = Duration::from_secs(1);
/// The longest a lease waits for Redis to connect or to answer.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// One key's window as this gateway sees it.
struct Window {
    start: u64,
    /// Requests this gateway let through in the window.
    used: u32,
    /// Requests this gateway may let through: what it leased.
    leased: u32,
    /// The window's count across gateways at the last lease.
    shared: u32,
    /// The shared allowance is spent: refuse without asking the database again.
    spent: bool,
}

#[derive(Default)]
pub struct RateLimiter {
    store: Store,
    windows: Mutex<HashMap<String, Window>>,
    store_down_until: Mutex<Option<Instant>>,
    /// One lease at a time: a burst that empties this gateway's lease waits for one more
    /// rather than each request claiming its own (which would gather the whole window here).
    leasing: tokio::sync::Mutex<()>,
    /// The last window whose expired counters this gateway deleted.
    swept: AtomicU64,
}

/// Where the gateways' shared counts live.
#[derive(Default)]
enum Store {
    #[default]
    Database,
    /// One connection, opened on first use and again after an error: leases are taken one at a
    /// time (`RateLimiter::leasing`), so one is all a gateway needs.
    Redis { client: redis::Client, connection: std::sync::Arc<Mutex<Option<redis::Connection>>> },
}

/// The outcome of one request against its window.
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    used: i64,
}

impl RateLimiter {
    /// Counts on Redis when `redis_url` is set, on the database otherwise. Only the URL is
    /// checked here: Redis need not answer yet (the gateway counts alone until it does).
    pub fn new(redis_url: &str) -> Result<RateLimiter, String> {
        if redis_url.is_empty() {
            return Ok(RateLimiter::default());
        }
        let client = redis::Client::open(redis_url)
            .map_err(|e| format!("CRM_REDIS_URL must be a redis:// URL: {}", e.detail().unwrap_or("unreadable")))?;
        Ok(RateLimiter { store: Store::Redis { client, connection: Default::default() }, ..Default::default() })
    }

    pub async fn check(&self, db: &Db, key: &str, limit: u32) -> Decision {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let start = now - now % WINDOW_SECS;
        let reset_secs = start + WINDOW_SECS - now;
        if let Some(decision) = self.take(key, start, limit, reset_secs) {
            return decision;
        }
        let _leasing = self.leasing.lock().await;
        // Another request may have leased while this one waited.
        if let Some(decision) = self.take(key, start, limit, reset_secs) {
            return decision;
        }
        let lease = (limit / LEASES_PER_WINDOW).max(1);
        let granted = if self.store_usable() {
            let leased = match &self.store {
                Store::Database => self.lease(db, key, start, lease).await.ok(),
                Store::Redis { client, connection } => lease_on_redis(client, connection, key, start, lease).await,
            };
            if leased.is_none() {
                self.set_store_down();
            }
            leased
        } else {
            None
        };
        if let Ok(mut windows) = self.windows.lock() {
            let window = windows.entry(key.to_string()).or_insert_with(|| Window::new(start));
            if window.start != start {
                *window = Window::new(start);
            }
            match granted {
                // The shared count after this lease: what of it fits under the limit is ours.
                Some(shared) => {
                    let before = shared.saturating_sub(u64::from(lease));
                    let ours = u64::from(limit).saturating_sub(before).min(u64::from(lease)) as u32;
                    window.leased += ours;
                    window.shared = shared.min(u64::from(limit)) as u32;
                    window.spent = ours < lease;
                }
                // The store is out of reach: this gateway counts the whole limit alone.
                None => window.leased = window.leased.max(limit),
            }
        }
        self.take(key, start, limit, reset_secs).unwrap_or(Decision { allowed: false, limit, remaining: 0, reset_secs })
    }

    /// Counts the request against what this gateway holds: `None` when it must lease more.
    fn take(&self, key: &str, start: u64, limit: u32, reset_secs: u64) -> Option<Decision> {
        let Ok(mut windows) = self.windows.lock() else {
            return Some(Decision { allowed: true, limit, remaining: limit, reset_secs });
        };
        if windows.len() > 100_000 {
            windows.retain(|_, w| w.start == start);
        }
        let window = windows.get_mut(key).filter(|w| w.start == start)?;
        if window.used < window.leased {
            window.used += 1;
        } else if !window.spent {
            return None;
        } else {
            return Some(Decision { allowed: false, limit, remaining: 0, reset_secs });
        }
        // Left in the window: what no gateway had leased at the last lease, and what this one
        // still holds.
        let remaining = limit.saturating_sub(window.shared) + (window.leased - window.used);
        Some(Decision { allowed: true, limit, remaining: remaining.min(limit), reset_secs })
    }

    /// Adds a lease to the key's shared count and answers the count after it.
    async fn lease(&self, db: &Db, key: &str, start: u64, lease: u32) -> ApiResult<u64> {
        let sweep = self.swept.swap(start, Ordering::Relaxed) != start;
        let (key, start) = (key.to_string(), i64::try_from(start).unwrap_or(i64::MAX));
        db.write_apart(move |conn| {
            if sweep {
                Statement::new(vec![
                    Piece::Sql("DELETE FROM rate_limit_counters WHERE window_start < ".into()),
                    Piece::BigInt(start),
                ])
                .execute(conn)?;
            }
            let count: Count = Statement::new(vec![
                Piece::Sql("INSERT INTO rate_limit_counters (key, window_start, used) VALUES (".into()),
                Piece::Text(key),
                Piece::Sql(", ".into()),
                Piece::BigInt(start),
                Piece::Sql(", ".into()),
                Piece::BigInt(i64::from(lease)),
                Piece::Sql(
                    ") ON CONFLICT (key, window_start) DO UPDATE SET used = rate_limit_counters.used + excluded.used \
                     RETURNING used"
                        .into(),
                ),
            ])
            .get_result(conn)?;
            Ok(u64::try_from(count.used).unwrap_or(0))
        })
        .await
    }

    fn store_usable(&self) -> bool {
        match self.store_down_until.lock() {
            Ok(until) => until.is_none_or(|t| Instant::now() >= t),
            Err(_) => false,
        }
    }

    fn set_store_down(&self) {
        if let Ok(mut until) = self.store_down_until.lock() {
            *until = Some(Instant::now() + STORE_BACKOFF);
        }
    }
}

/// Adds a lease to the key's count on Redis and answers the count after it; the count expires
/// a window after its own.
async fn lease_on_redis(
    client: &redis::Client,
    connection: &std::sync::Arc<Mutex<Option<redis::Connection>>>,
    key: &str,
    start: u64,
    lease: u32,
) -> Option<u64> {
    let (client, connection, key) = (client.clone(), connection.clone(), format!("crm:rate:{start}:{key}"));
    let counted = web::block(move || {
        let mut held = connection.lock().ok()?;
        if held.is_none() {
            let opened = client.get_connection_with_timeout(REDIS_TIMEOUT).ok()?;
            opened.set_read_timeout(Some(REDIS_TIMEOUT)).ok()?;
            opened.set_write_timeout(Some(REDIS_TIMEOUT)).ok()?;
            *held = Some(opened);
        }
        let open = held.as_mut()?;
        let counted: redis::RedisResult<(u64,)> = redis::pipe()
            .atomic()
            .cmd("INCRBY")
            .arg(&key)
            .arg(lease)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(2 * WINDOW_SECS)
            .ignore()
            .query(open);
        if counted.is_err() {
            // A broken connection is not used again: the next lease opens a new one.
            *held = None;
        }
        counted.ok().map(|(count,)| count)
    })
    .await;
    counted.ok().flatten()
}

impl Window {
    fn new(start: u64) -> Window {
        Window { start, used: 0, leased: 0, shared: 0, spent: false }
    }
}

/// The rate-limit key of an anonymous client: its address as the socket shows it (headers such
/// as `X-Forwarded-For` are not trusted, since any client can send them).
pub fn client_key(req: &ServiceRequest) -> String {
    match req.peer_addr() {
        Some(addr) => format!("ip:{}", addr.ip()),
        None => "ip:unknown".to_string(),
    }
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let principal = req.extensions().get::<Actor>().map(|a| a.principal_id().to_string());
    let (key, limit) = match principal {
        Some(id) => (id, state.config.rate_limit_per_minute),
        None => (client_key(&req), state.config.rate_limit_anonymous_per_minute),
    };
    let decision = state.rate_limiter.check(&state.db, &key, limit).await;
    let mut response = if decision.allowed {
        next.call(req).await?.map_into_left_body()
    } else {
        let (req, _) = req.into_parts();
        ServiceResponse::new(req, ApiError::too_many_requests(decision.reset_secs.max(1)).error_response())
            .map_into_right_body()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("ratelimit-limit", decision.limit.to_string()),
        ("ratelimit-remaining", decision.remaining.to_string()),
        ("ratelimit-reset", decision.reset_secs.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn counts_down_then_refuses_and_leases_from_the_shared_count() {
        let dir = std::env::temp_dir().join(format!("crm-rate-limit-{}", crate::id::new_id("t")));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/crm.db", dir.display()), 2, 1000).unwrap();
        db.conn().unwrap().migrate().unwrap();
        // Two gateways on one database: the limit of 3 holds across them.
        let (one, two) = (RateLimiter::default(), RateLimiter::default());
        let first = one.check(&db, "k", 3).await;
        assert!(first.allowed && first.remaining == 2, "{}", first.remaining);
        assert!(two.check(&db, "k", 3).await.allowed);
        assert!(one.check(&db, "k", 3).await.allowed);
        let fourth = two.check(&db, "k", 3).await;
        assert!(!fourth.allowed && fourth.remaining == 0 && fourth.reset_secs <= 60);
        assert!(!one.check(&db, "k", 3).await.allowed);
        assert!(one.check(&db, "other", 3).await.allowed);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_redis_url_is_checked_at_start_but_redis_need_not_answer_yet() {
        assert!(matches!(RateLimiter::new("").map(|l| l.store), Ok(Store::Database)));
        assert!(matches!(RateLimiter::new("redis://127.0.0.1:1/0").map(|l| l.store), Ok(Store::Redis { .. })));
        let refused = RateLimiter::new("http://cache:6379").err().unwrap_or_default();
        assert!(refused.starts_with("CRM_REDIS_URL must be a redis:// URL"), "{refused}");
    }
}
