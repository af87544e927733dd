//! Limits on what one client can hold: a body must keep arriving (no more than
//! `client_body_timeout_ms` between two of its chunks, else 408 and the connection is closed),
//! and one address holds at most `max_connections_per_address` connections at once (the
//! connections past it are answered 429 and closed); headers over `max_header_bytes` are a 431.
//! Slow headers are the HTTP server's own `client_request_timeout` (`client_header_timeout_ms`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::state::AppState;

/// Open connections per client address, shared by the HTTP server's workers.
#[derive(Clone, Default)]
pub struct ConnectionCounts(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// Held in a connection's data for as long as it is open: counts it against its address.
pub struct ConnectionSlot {
    counts: ConnectionCounts,
    address: IpAddr,
    /// Whether the address already had its allowance of connections when this one opened.
    over: bool,
}

impl ConnectionCounts {
    /// For `HttpServer::on_connect`: counts a new connection of a TCP client.
    pub fn on_connect(&self, connection: &dyn std::any::Any, data: &mut Extensions, allowed: usize) {
        let Some(address) =
            connection.downcast_ref::<actix_web::rt::net::TcpStream>().and_then(|s| s.peer_addr().ok()).map(|a| a.ip())
        else {
            return;
        };
        let Ok(mut counts) = self.0.lock() else { return };
        let open = counts.entry(address).or_insert(0);
        *open += 1;
        let over = *open > allowed;
        data.insert(ConnectionSlot { counts: self.clone(), address, over });
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.counts.0.lock()
            && let Some(open) = counts.get_mut(&self.address)
        {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// The 408 for a body that stopped arriving; the connection is closed after it.
pub fn body_timed_out() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "The request body stopped arriving before its end: send it again, whole.",
    )
}

/// What a body that could not be read is: a 408 when it stopped arriving, a 413 when it is
/// too large, a 400 otherwise.
pub fn unreadable(error: &PayloadError) -> ApiError {
    match error {
        PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => body_timed_out(),
        PayloadError::Overflow => ApiError::payload_too_large(),
        _ => ApiError::bad_request("unreadable_body", "The request body could not be read."),
    }
}

/// Middleware: a connection past its address's allowance gets a 429; every body gets an idle
/// deadline between its chunks.
pub async fn client_limits(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.conn_data::<ConnectionSlot>().is_some_and(|slot| slot.over) {
        let (req, _) = req.into_parts();
        let error = ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            "This address has too many connections open: reuse one (keep-alive) or close some.",
        );
        let mut response = error.error_response();
        response.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(ServiceResponse::new(req, response).map_into_right_body());
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let header_bytes: usize = req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if state.as_ref().is_some_and(|state| header_bytes > state.config.max_header_bytes) {
        let (req, _) = req.into_parts();
        let error = ApiError::new(
            actix_web::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "The request's headers are larger than the server accepts.",
        );
        return Ok(ServiceResponse::new(req, error.error_response()).map_into_right_body());
    }
    // Most requests (GET, DELETE) have no body to wait for.
    let has_body = req.headers().contains_key(actix_web::http::header::CONTENT_LENGTH)
        || req.headers().contains_key(actix_web::http::header::TRANSFER_ENCODING);
    if !has_body {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let idle = state
        .map(|state| Duration::from_millis(state.config.client_body_timeout_ms))
        .unwrap_or(Duration::from_secs(10));
    let payload = req.take_payload();
    let timed = futures_util::stream::unfold(Some(payload), move |payload| async move {
        let mut payload = payload?;
        match actix_web::rt::time::timeout(idle, payload.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(payload))),
            Ok(None) => None,
            Err(_) => {
                let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "the body stopped arriving");
                Some((Err(PayloadError::Io(timed_out)), None))
            }
        }
    })
    // Readers such as multipart poll again after the end.
    .fuse();
    req.set_payload(Payload::from(Box::pin(timed) as std::pin::Pin<Box<dyn futures_util::Stream<Item = _>>>));
    Ok(next.call(req).await?.map_into_left_body())
}
