//! `/v1/currency-rates`.

use actix_web::{HttpResponse, get, put, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::{IfMatch, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{CurrencyRatesIn, CurrencyRatesOut};
use super::service;

/// The currency rates
///
/// The organization's base currency and what one unit of each other currency is worth in it.
#[utoipa::path(
    operation_id = "get_currency_rates", tag = "Forecasts", security(("bearer" = [])),
    responses((status = 200, description = "The base currency and rates", body = CurrencyRatesOut))
)]
#[get("/currency-rates")]
pub async fn get_currency_rates(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let rates = service::get(&state, &actor).await?;
    Ok(HttpResponse::Ok().insert_header(etag(rates.version)).json(rates))
}

/// Set the currency rates
///
/// Sets the base currency and replaces every rate. Admins and managers only.
#[utoipa::path(
    operation_id = "set_currency_rates", tag = "Forecasts", request_body = CurrencyRatesIn, security(("bearer" = [])),
    params(IfMatch),
    responses((status = 200, description = "The base currency and rates", body = CurrencyRatesOut))
)]
#[put("/currency-rates")]
pub async fn set_currency_rates(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    input: ValidatedJson<CurrencyRatesIn>,
) -> ApiResult<HttpResponse> {
    let rates = service::put(&state, &actor, input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(rates.version)).json(rates))
}
