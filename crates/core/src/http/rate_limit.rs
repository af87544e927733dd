//! Rate limits per principal (API key or user), or per client address when anonymous:
//! a fixed one-minute window, announced with `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset`, and 429 with `Retry-After` past the limit.
//!
//! Counters live in the gateway's memory: with several gateways behind a load balancer the
//! effective limit is per gateway.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};

use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;

const WINDOW_SECS: u64 = 60;

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

/// The outcome of one request against its window.
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

impl RateLimiter {
    pub fn check(&self, key: &str, limit: u32) -> Decision {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let window = now - now % WINDOW_SECS;
        let reset_secs = window + WINDOW_SECS - now;
        let Ok(mut windows) = self.windows.lock() else {
            return Decision { allowed: true, limit, remaining: limit, reset_secs };
        };
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| *start == window);
        }
        let entry = windows.entry(key.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        Decision { allowed, limit, remaining: limit - entry.1, reset_secs }
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
    let decision = state.rate_limiter.check(&key, limit);
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

    #[test]
    fn counts_down_then_refuses() {
        let limiter = RateLimiter::default();
        let first = limiter.check("k", 2);
        assert!(first.allowed && first.remaining == 1);
        assert!(limiter.check("k", 2).allowed);
        let third = limiter.check("k", 2);
        assert!(!third.allowed && third.remaining == 0 && third.reset_secs <= 60);
        assert!(limiter.check("other", 2).allowed);
    }
}
