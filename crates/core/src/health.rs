//! `GET /health/live` and `GET /health/ready`: no credentials, for load balancers and orchestrators.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok`, or `unavailable` with a reason.
    #[schema(example = "ok")]
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Liveness
///
/// The process is up and serving HTTP.
#[utoipa::path(operation_id = "get_liveness", tag = "Health", security(()), responses((status = 200, description = "Alive", body = Health)))]
#[get("/health/live")]
pub async fn get_liveness() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into(), reason: None })
}

/// Readiness
///
/// The database answers and every migration is applied.
#[utoipa::path(
    operation_id = "get_readiness", tag = "Health", security(()),
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "Not ready (`not_ready`): the database is unreachable or not migrated; retry after `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
#[get("/health/ready")]
pub async fn get_readiness(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let check = state.db.read(|conn| conn.is_migrated().map_err(ApiError::internal)).await;
    let not_ready = |reason: &str| ApiError {
        retry_after: Some(5),
        ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", format!("Not ready: {reason}."))
    };
    match check {
        Ok(true) => Ok(HttpResponse::Ok().json(Health { status: "ok".into(), reason: None })),
        Ok(false) => Err(not_ready("migrations are pending")),
        Err(_) => Err(not_ready("the database is unreachable")),
    }
}
