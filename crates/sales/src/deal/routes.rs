//! `/v1/deals`, and the board of `/v1/pipelines/{id}`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use crm_contacts::timeline::dto::{TimelineItem, TimelineQuery};
use crm_contacts::timeline::service::{self as timelines, Subject};
use crm_core::audit::dto::AuditEntryOut;
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::filter::SearchRequest;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{
    Board, BoardQuery, DealIn, DealLines, DealLinesIn, DealOut, DealPatch, DealsQuery, LoseIn, StageHistory, Summary,
    SummaryQuery, WinIn,
};
use super::service;

/// List deals
#[utoipa::path(
    operation_id = "list_deals", tag = "Deals", params(DealsQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of deals", body = Page<DealOut>),
        (status = 422, description = "`filter` is not a filter of the filter language, or names an unknown field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/deals")]
pub async fn list_deals(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<DealsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a deal
///
/// In the stage named, or the first open stage of the pipeline named, or of the organization's
/// first pipeline. A won stage wins it; a lost one loses it (`lost_reason` required).
#[utoipa::path(
    operation_id = "create_deal", tag = "Deals", request_body = DealIn, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = DealOut, headers(("Location" = String, description = "The deal's URL"))),
        (status = 409, description = "Another deal has this external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/deals")]
pub async fn create_deal(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<DealIn>,
) -> ApiResult<HttpResponse> {
    let deal = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/deals/{}", deal.id)))
        .insert_header(etag(deal.version))
        .json(deal))
}

/// Get a deal
#[utoipa::path(
    operation_id = "get_deal", tag = "Deals", security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id", example = "deal_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The deal", body = DealOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/deals/{id}")]
pub async fn get_deal(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let deal = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(deal.version)).json(deal))
}

/// Update a deal
///
/// A new `stage_id` moves the deal (`deal.stage_changed`; into a won stage `deal.won`, a lost
/// one `deal.lost`, out of either `deal.reopened`) and records its stage history.
#[utoipa::path(
    operation_id = "update_deal", tag = "Deals", request_body = DealPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id"), IfMatch),
    responses(
        (status = 200, description = "The updated deal", body = DealOut),
        (status = 409, description = "Another deal has this external id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/deals/{id}")]
pub async fn update_deal(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<DealPatch>,
) -> ApiResult<HttpResponse> {
    let deal = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(deal.version)).json(deal))
}

/// Delete a deal
///
/// Moves the deal to the trash.
#[utoipa::path(
    operation_id = "delete_deal", tag = "Deals", security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id"), IfMatch),
    responses((status = 204, description = "Moved to the trash"))
)]
#[delete("/deals/{id}")]
pub async fn delete_deal(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a deal
///
/// Brings a trashed deal back.
#[utoipa::path(
    operation_id = "restore_deal", tag = "Deals", security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id")),
    responses(
        (status = 200, description = "The restored deal", body = DealOut),
        (status = 409, description = "Another deal took one of its external ids meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/deals/{id}/restore")]
pub async fn restore_deal(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let deal = service::restore(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(deal.version)).json(deal))
}

/// Win a deal
///
/// Moves it to the won stage named, or its pipeline's first won stage (`deal.won`).
#[utoipa::path(
    operation_id = "win_deal", tag = "Deals", request_body = WinIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id"), IfMatch),
    responses((status = 200, description = "The won deal", body = DealOut))
)]
#[post("/deals/{id}/win")]
pub async fn win_deal(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<WinIn>,
) -> ApiResult<HttpResponse> {
    let deal = service::win(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(deal.version)).json(deal))
}

/// Lose a deal
///
/// Moves it to the lost stage named, or its pipeline's first lost stage, with the reason
/// (`deal.lost`).
#[utoipa::path(
    operation_id = "lose_deal", tag = "Deals", request_body = LoseIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id"), IfMatch),
    responses((status = 200, description = "The lost deal", body = DealOut))
)]
#[post("/deals/{id}/lose")]
pub async fn lose_deal(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<LoseIn>,
) -> ApiResult<HttpResponse> {
    let deal = service::lose(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(deal.version)).json(deal))
}

/// A deal's line items
///
/// Its products and services, priced in the currency of its amount, with their totals.
#[utoipa::path(
    operation_id = "get_deal_line_items", tag = "Deals", security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id")),
    responses((status = 200, description = "The deal's lines", body = DealLines, headers(("ETag" = String, description = "The deal's version"))))
)]
#[get("/deals/{id}/line-items")]
pub async fn get_deal_line_items(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let lines = service::lines(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(lines.deal_version)).json(lines))
}

/// Replace a deal's line items
///
/// Prices each line like a quote's (exact integer minor units; see the quotes' rounding) and,
/// when there are lines, sets the deal's amount to their total: one new version of the deal
/// and a `deal.updated` event. `If-Match` takes the deal's version.
#[utoipa::path(
    operation_id = "set_deal_line_items", tag = "Deals", request_body = DealLinesIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id"), IfMatch),
    responses(
        (status = 200, description = "The deal's lines now", body = DealLines, headers(("ETag" = String, description = "The deal's version"))),
        (status = 422, description = "A line names an unknown or inactive product, has no price, or a bad quantity, discount or tax rate; or no currency can be told", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/deals/{id}/line-items")]
pub async fn set_deal_line_items(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<DealLinesIn>,
) -> ApiResult<HttpResponse> {
    let lines = service::set_lines(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(lines.deal_version)).json(lines))
}

/// A deal's stage history
///
/// Every stage the deal was in, with entry and exit times: the basis of cycle length and
/// velocity.
#[utoipa::path(
    operation_id = "get_deal_stage_history", tag = "Deals", security(("bearer" = [])),
    params(("id" = String, Path, description = "Deal id")),
    responses((status = 200, description = "The deal's stays in stages, oldest first", body = StageHistory))
)]
#[get("/deals/{id}/stage-history")]
pub async fn get_deal_stage_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::history(&state, &actor, id.into_inner()).await?))
}

/// Search deals
///
/// Filters with the filter language (`all` / `any` / `not` of `{"field", "op", "value"}`)
/// and free text; sorted and paged like the list.
#[utoipa::path(
    operation_id = "search_deals", tag = "Deals", request_body = SearchRequest, security(("bearer" = [])),
    responses((status = 200, description = "A page of matching deals", body = Page<DealOut>))
)]
#[post("/deals/search")]
pub async fn search_deals(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SearchRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::search(&state, &actor, input.0).await?))
}

/// Sales summary
///
/// Open, won and lost deals (counts and amounts by currency) and the win rate, over a
/// pipeline, an owner and a range of close dates.
#[utoipa::path(
    operation_id = "get_deal_summary", tag = "Deals", params(SummaryQuery), security(("bearer" = [])),
    responses((status = 200, description = "The summary", body = Summary))
)]
#[get("/deals/summary")]
pub async fn get_deal_summary(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SummaryQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::summary(&state, &actor, query.into_inner()).await?))
}

/// A pipeline's board
///
/// Its open stages in order, each with the count and amount sums of its deals and the first
/// of them; filterable by owner.
#[utoipa::path(
    operation_id = "get_pipeline_board", tag = "Pipelines", params(("id" = String, Path, description = "Pipeline id"), BoardQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The board", body = Board))
)]
#[get("/pipelines/{id}/board")]
pub async fn get_pipeline_board(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<BoardQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::board(&state, &actor, id.into_inner(), query.into_inner()).await?))
}

/// A deal's timeline
///
/// Activities about the deal and changes to its fields, newest first.
#[utoipa::path(
    operation_id = "get_deal_timeline", tag = "Deals", params(("id" = String, Path, description = "Deal id"), TimelineQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of timeline items", body = Page<TimelineItem>))
)]
#[get("/deals/{id}/timeline")]
pub async fn get_deal_timeline(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: super::model::RECORD_TYPE, id: id.into_inner() };
    Ok(HttpResponse::Ok().json(timelines::timeline(&state, &actor, subject, query.into_inner()).await?))
}

/// A deal's field history
#[utoipa::path(
    operation_id = "get_deal_history", tag = "Deals", params(("id" = String, Path, description = "Deal id"), TimelineQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of changes", body = Page<AuditEntryOut>))
)]
#[get("/deals/{id}/history")]
pub async fn get_deal_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let subject = Subject { record_type: super::model::RECORD_TYPE, id: id.into_inner() };
    Ok(HttpResponse::Ok().json(timelines::history(&state, &actor, subject, query.into_inner()).await?))
}
