//! `/v1/forecasts`.

use actix_web::{HttpResponse, get, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::state::AppState;

use super::dto::{Forecast, ForecastQuery};
use super::service;

/// A period's forecast
///
/// Won and open deals closing in the period (by `close_date`), in the organization's currency:
/// closed won, commit, best case, pipeline, and the open amounts weighted by their stage's
/// probability; one row per owner, pipeline or team, and the totals.
#[utoipa::path(
    operation_id = "get_forecast", tag = "Forecasts", params(ForecastQuery), security(("bearer" = [])),
    responses((status = 200, description = "The forecast", body = Forecast))
)]
#[get("/forecasts")]
pub async fn get_forecast(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ForecastQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::forecast(&state, &actor, query.into_inner()).await?))
}
