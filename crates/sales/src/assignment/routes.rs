//! `/v1/assignment-rules` and `POST /v1/leads/{id}/assign`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{AssignmentRuleIn, AssignmentRuleOut, AssignmentRulePatch, AssignmentRulesQuery};
use super::service;
use crate::lead::dto::LeadOut;

/// List assignment rules
///
/// In the order they are tried: priority, lowest first.
#[utoipa::path(
    operation_id = "list_assignment_rules", tag = "Leads", params(AssignmentRulesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of rules", body = Page<AssignmentRuleOut>))
)]
#[get("/assignment-rules")]
pub async fn list_assignment_rules(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<AssignmentRulesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create an assignment rule
///
/// Leads created without an owner (and those assigned on demand) go to the team of the first
/// rule, by priority, whose filter they match: round robin or to the least-loaded member.
/// Admins and managers only.
#[utoipa::path(
    operation_id = "create_assignment_rule", tag = "Leads", request_body = AssignmentRuleIn, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = AssignmentRuleOut, headers(("Location" = String, description = "The rule's URL"))))
)]
#[post("/assignment-rules")]
pub async fn create_assignment_rule(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<AssignmentRuleIn>,
) -> ApiResult<HttpResponse> {
    let rule = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/assignment-rules/{}", rule.id)))
        .insert_header(etag(rule.version))
        .json(rule))
}

/// Get an assignment rule
#[utoipa::path(
    operation_id = "get_assignment_rule", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Rule id", example = "asr_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The rule", body = AssignmentRuleOut, headers(("ETag" = String, description = "The version"))))
)]
#[get("/assignment-rules/{id}")]
pub async fn get_assignment_rule(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let rule = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(rule.version)).json(rule))
}

/// Update an assignment rule
#[utoipa::path(
    operation_id = "update_assignment_rule", tag = "Leads", request_body = AssignmentRulePatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Rule id"), IfMatch),
    responses((status = 200, description = "The updated rule", body = AssignmentRuleOut))
)]
#[patch("/assignment-rules/{id}")]
pub async fn update_assignment_rule(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<AssignmentRulePatch>,
) -> ApiResult<HttpResponse> {
    let rule = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(rule.version)).json(rule))
}

/// Delete an assignment rule
#[utoipa::path(
    operation_id = "delete_assignment_rule", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Rule id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/assignment-rules/{id}")]
pub async fn delete_assignment_rule(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Assign a lead
///
/// Gives the lead the owner the assignment rules pick now (`lead.assigned`), whether or not it
/// has one.
#[utoipa::path(
    operation_id = "assign_lead", tag = "Leads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Lead id"), IfMatch),
    responses(
        (status = 200, description = "The lead with its new owner", body = LeadOut),
        (status = 409, description = "No active rule takes the lead (`no_rule_applies`), or it was converted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/assign")]
pub async fn assign_lead(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let lead = service::assign(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(lead.version)).json(lead))
}
