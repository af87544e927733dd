//! `/v1/lead-scoring-rules` and `/v1/leads/{id}/score`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::ApiResult;
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{LeadScore, ScoringRuleIn, ScoringRuleOut, ScoringRulePatch, ScoringRulesQuery};
use super::service;

/// List lead scoring rules
#[utoipa::path(
    operation_id = "list_lead_scoring_rules", tag = "Leads", params(ScoringRulesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of rules", body = Page<ScoringRuleOut>))
)]
#[get("/lead-scoring-rules")]
pub async fn list_lead_scoring_rules(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ScoringRulesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a lead scoring rule
///
/// Points for leads whose fields match a filter, or with enough activities in a window (with
/// decay). The organization's leads are rescored by a job queued with the change. Admins and
/// managers only.
#[utoipa::path(
    operation_id = "create_lead_scoring_rule", tag = "Leads", request_body = ScoringRuleIn, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = ScoringRuleOut, headers(("Location" = String, description = "The rule's URL"))))
)]
#[post("/lead-scoring-rules")]
pub async fn create_lead_scoring_rule(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ScoringRuleIn>,
) -> ApiResult<HttpResponse> {
    let rule = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/lead-scoring-rules/{}", rule.id)))
        .insert_header(etag(rule.version))
        .json(rule))
}

/// Get a lead scoring rule
#[utoipa::path(
    operation_id = "get_lead_scoring_rule", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Rule id", example = "lsr_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The rule", body = ScoringRuleOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/lead-scoring-rules/{id}")]
pub async fn get_lead_scoring_rule(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let rule = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(rule.version)).json(rule))
}

/// Update a lead scoring rule
#[utoipa::path(
    operation_id = "update_lead_scoring_rule", tag = "Leads", request_body = ScoringRulePatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Rule id"), IfMatch),
    responses((status = 200, description = "The updated rule", body = ScoringRuleOut))
)]
#[patch("/lead-scoring-rules/{id}")]
pub async fn update_lead_scoring_rule(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<ScoringRulePatch>,
) -> ApiResult<HttpResponse> {
    let rule = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(rule.version)).json(rule))
}

/// Delete a lead scoring rule
#[utoipa::path(
    operation_id = "delete_lead_scoring_rule", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Rule id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/lead-scoring-rules/{id}")]
pub async fn delete_lead_scoring_rule(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A lead's score, explained
///
/// The score the active rules give the lead now, and each rule that fired with its points
/// (after decay). The stored `score` of the lead is this, as of its last write or rescore.
#[utoipa::path(
    operation_id = "get_lead_score", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Lead id")),
    responses((status = 200, description = "The score and the rules that fired", body = LeadScore))
)]
#[get("/leads/{id}/score")]
pub async fn get_lead_score(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::explain(&state, &actor, id.into_inner()).await?))
}
