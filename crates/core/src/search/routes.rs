//! `/v1/search`.

use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use validator::Validate;

use super::dto::{SearchQuery, SearchResults};
use super::service;

/// Search every record type at once (contacts, companies…)
///
/// Prefix matching on every word (`ada lov` finds Ada Lovelace, `acme.ex` the company at
/// acme.example, `415555` a number), ranked: the whole name, then names starting with the query
/// as a word, then the query as a word anywhere, then names starting with it, then the rest;
/// ties go to the shorter name. Same results on SQLite and PostgreSQL.
#[utoipa::path(
    operation_id = "search", tag = "Search", params(SearchQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The best matches, best first", body = SearchResults),
        (status = 422, description = "`q` is empty or longer than 200 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/search")]
pub async fn search(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    query.validate().map_err(|e| crate::error::ApiError::validation(crate::http::field_errors(&e)))?;
    Ok(HttpResponse::Ok().json(service::search(&state, &actor, query).await?))
}
