//! `/v1/surveys`, and `/v1/public/surveys/{token}` for the people answering.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{
    InvitationOut, ResponseIn, ResponseOut, ResultsOut, ResultsQuery, SendIn, SendOut, SurveyIn, SurveyOut,
    SurveyPatch, SurveysQuery,
};
use super::service;

/// List surveys
#[utoipa::path(
    operation_id = "list_surveys", tag = "Surveys", params(SurveysQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of surveys", body = Page<SurveyOut>))
)]
#[get("/surveys")]
pub async fn list_surveys(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SurveysQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &actor, query.into_inner()).await?))
}

/// Create a survey
///
/// An active CSAT survey is e-mailed to the requester of every ticket solved from then on; an
/// NPS survey goes out with `POST /v1/surveys/{id}/send`. Admins and managers only.
#[utoipa::path(
    operation_id = "create_survey", tag = "Surveys", request_body = SurveyIn, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = SurveyOut, headers(("Location" = String, description = "The survey's URL"))))
)]
#[post("/surveys")]
pub async fn create_survey(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SurveyIn>,
) -> ApiResult<HttpResponse> {
    let survey = service::create(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/surveys/{}", survey.id)))
        .insert_header(etag(survey.version))
        .json(survey))
}

/// Get a survey
#[utoipa::path(
    operation_id = "get_survey", tag = "Surveys", security(("bearer" = [])),
    params(("id" = String, Path, description = "Survey id", example = "srv_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The survey", body = SurveyOut))
)]
#[get("/surveys/{id}")]
pub async fn get_survey(state: web::Data<AppState>, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let survey = service::get(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(survey.version)).json(survey))
}

/// Update a survey
#[utoipa::path(
    operation_id = "update_survey", tag = "Surveys", request_body = SurveyPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Survey id"), IfMatch),
    responses((status = 200, description = "The updated survey", body = SurveyOut))
)]
#[patch("/surveys/{id}")]
pub async fn update_survey(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<SurveyPatch>,
) -> ApiResult<HttpResponse> {
    let survey = service::update(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(survey.version)).json(survey))
}

/// Delete a survey
///
/// With its invitations and NPS responses (ticket ratings stay).
#[utoipa::path(
    operation_id = "delete_survey", tag = "Surveys", security(("bearer" = [])),
    params(("id" = String, Path, description = "Survey id"), IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/surveys/{id}")]
pub async fn delete_survey(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send an NPS survey
///
/// E-mails an invitation to each of the contacts (or those a filter matches: at most 1,000 a
/// call), each with a link answering it once; contacts without an address, or erased, are
/// skipped.
#[utoipa::path(
    operation_id = "send_survey", tag = "Surveys", request_body = SendIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Survey id", example = "srv_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses(
        (status = 200, description = "What was sent", body = SendOut),
        (status = 409, description = "A CSAT survey is not sent by hand", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown contacts, a bad filter, or more than 1,000 contacts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/surveys/{id}/send")]
pub async fn send_survey(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    input: ValidatedJson<SendIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::send(&state, &actor, id.into_inner(), input.0).await?))
}

/// A survey's scores
///
/// For a period: CSAT's average and share of satisfied (4–5) ratings, NPS's promoters,
/// passives, detractors and score.
#[utoipa::path(
    operation_id = "get_survey_results", tag = "Surveys", params(("id" = String, Path, description = "Survey id"), ResultsQuery), security(("bearer" = [])),
    responses((status = 200, description = "The scores", body = ResultsOut))
)]
#[get("/surveys/{id}/results")]
pub async fn get_survey_results(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ResultsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::results(&state, &actor, id.into_inner(), query.into_inner()).await?))
}

/// Public: a survey invitation
///
/// What to ask: the question, the scale, the ticket rated. No login: the token is signed.
#[utoipa::path(
    operation_id = "get_public_survey", tag = "Surveys", security(()),
    params(("token" = String, Path, description = "The invitation's token, from its e-mail", example = "org_01jbz3m3x7f6ks6q0vd1tq2n5a.sinv_01jbz3m3x7f6ks6q0vd1tq2n5b.5f2c")),
    responses(
        (status = 200, description = "The invitation", body = InvitationOut),
        (status = 404, description = "Not a token the platform signed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/surveys/{token}")]
pub async fn get_public_survey(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::invitation(&state, token.into_inner()).await?))
}

/// Public: answer a survey
///
/// Once per invitation (409 `invitation_closed` after, or once it expired, 30 days on). A CSAT
/// answer rates the ticket (replacing a rating from the portal); `survey.response_received`.
#[utoipa::path(
    operation_id = "answer_public_survey", tag = "Surveys", request_body = ResponseIn, security(()),
    params(("token" = String, Path, description = "The invitation's token", example = "org_01jbz3m3x7f6ks6q0vd1tq2n5a.sinv_01jbz3m3x7f6ks6q0vd1tq2n5b.5f2c")),
    responses(
        (status = 201, description = "Recorded", body = ResponseOut),
        (status = 409, description = "Answered already, or expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A score off the scale", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/surveys/{token}/responses")]
pub async fn answer_public_survey(
    state: web::Data<AppState>,
    token: web::Path<String>,
    input: ValidatedJson<ResponseIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(service::respond(&state, token.into_inner(), input.0).await?))
}
