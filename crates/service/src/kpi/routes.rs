//! `/v1/service/kpis`.

use actix_web::{HttpResponse, get, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::state::AppState;

use super::dto::{KpisOut, KpisQuery};
use super::service;

/// Service KPIs
///
/// For the tickets created in a period (default: the last 30 days): volume by interval and
/// channel, first response and resolution times (calendar and business time; averages and
/// medians), first-contact resolution and reopen rates, SLA attainment; and the backlog now by
/// status and age. Counts only the tickets the caller sees.
#[utoipa::path(
    operation_id = "get_service_kpis", tag = "Tickets", params(KpisQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The KPIs", body = KpisOut),
        (status = 422, description = "`to` not after `from`, or a period over 366 days", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/service/kpis")]
pub async fn get_service_kpis(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<KpisQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::kpis(&state, &actor, query.into_inner()).await?))
}
