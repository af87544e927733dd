//! `/v1/knowledge-base/site`, `/v1/kb-categories`, `/v1/kb-articles`, and a ticket's suggested
//! articles.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use crm_core::auth::Actor;
use crm_core::error::{ApiResult, Problem};
use crm_core::http::{IfMatch, Page, ValidatedJson, etag};
use crm_core::state::AppState;

use super::dto::{
    ArticleIn, ArticleOut, ArticlePatch, ArticlesQuery, CategoriesQuery, CategoryIn, CategoryOut, CategoryPatch,
    RevisionOut, SiteIn, SiteOut,
};
use super::service;

/// Get the public knowledge-base site
#[utoipa::path(
    operation_id = "get_kb_site", tag = "Knowledge base", security(("bearer" = [])),
    responses((status = 200, description = "The site (no slug: no public site yet)", body = SiteOut))
)]
#[get("/knowledge-base/site")]
pub async fn get_kb_site(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get_site(&state, &actor).await?))
}

/// Set the public knowledge-base site
///
/// Its slug is the public address of the published articles, `/v1/public/kb/{slug}/…`, which
/// need no login. Admins and managers only.
#[utoipa::path(
    operation_id = "set_kb_site", tag = "Knowledge base", request_body = SiteIn, security(("bearer" = [])),
    responses(
        (status = 200, description = "The site", body = SiteOut),
        (status = 409, description = "Another organization's site has the slug", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/knowledge-base/site")]
pub async fn set_kb_site(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<SiteIn>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::put_site(&state, &actor, input.0).await?))
}

/// List knowledge-base categories
#[utoipa::path(
    operation_id = "list_kb_categories", tag = "Knowledge base", params(CategoriesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of categories, by position", body = Page<CategoryOut>))
)]
#[get("/kb-categories")]
pub async fn list_kb_categories(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<CategoriesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list_categories(&state, &actor, query.into_inner()).await?))
}

/// Create a knowledge-base category
#[utoipa::path(
    operation_id = "create_kb_category", tag = "Knowledge base", request_body = CategoryIn, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = CategoryOut, headers(("Location" = String, description = "The category's URL"))))
)]
#[post("/kb-categories")]
pub async fn create_kb_category(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<CategoryIn>,
) -> ApiResult<HttpResponse> {
    let category = service::create_category(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/kb-categories/{}", category.id)))
        .insert_header(etag(category.version))
        .json(category))
}

/// Get a knowledge-base category
#[utoipa::path(
    operation_id = "get_kb_category", tag = "Knowledge base", security(("bearer" = [])),
    params(("id" = String, Path, description = "Category id", example = "kbc_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The category", body = CategoryOut))
)]
#[get("/kb-categories/{id}")]
pub async fn get_kb_category(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let category = service::get_category(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(category.version)).json(category))
}

/// Update a knowledge-base category
#[utoipa::path(
    operation_id = "update_kb_category", tag = "Knowledge base", request_body = CategoryPatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Category id"), IfMatch),
    responses((status = 200, description = "The updated category", body = CategoryOut))
)]
#[patch("/kb-categories/{id}")]
pub async fn update_kb_category(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<CategoryPatch>,
) -> ApiResult<HttpResponse> {
    let category = service::update_category(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(category.version)).json(category))
}

/// Delete a knowledge-base category
///
/// Only an empty one (409 `category_not_empty`).
#[utoipa::path(
    operation_id = "delete_kb_category", tag = "Knowledge base", security(("bearer" = [])),
    params(("id" = String, Path, description = "Category id"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Articles are in it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/kb-categories/{id}")]
pub async fn delete_kb_category(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete_category(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List or search knowledge-base articles
///
/// Drafts too. With `query`, a full-text search of titles and bodies (every word, by prefix),
/// the best matches first, in one page.
#[utoipa::path(
    operation_id = "list_kb_articles", tag = "Knowledge base", params(ArticlesQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of articles", body = Page<ArticleOut>))
)]
#[get("/kb-articles")]
pub async fn list_kb_articles(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ArticlesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list_articles(&state, &actor, query.into_inner()).await?))
}

/// Create a knowledge-base article
///
/// Its first revision. `published` right away is also `kb_article.published`.
#[utoipa::path(
    operation_id = "create_kb_article", tag = "Knowledge base", request_body = ArticleIn, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = ArticleOut, headers(("Location" = String, description = "The article's URL"))))
)]
#[post("/kb-articles")]
pub async fn create_kb_article(
    state: web::Data<AppState>,
    actor: Actor,
    input: ValidatedJson<ArticleIn>,
) -> ApiResult<HttpResponse> {
    let article = service::create_article(&state, &actor, input.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/kb-articles/{}", article.id)))
        .insert_header(etag(article.version))
        .json(article))
}

/// Get a knowledge-base article
#[utoipa::path(
    operation_id = "get_kb_article", tag = "Knowledge base", security(("bearer" = [])),
    params(("id" = String, Path, description = "Article id", example = "kba_01jbz3m3x7f6ks6q0vd1tq2n5b")),
    responses((status = 200, description = "The article", body = ArticleOut))
)]
#[get("/kb-articles/{id}")]
pub async fn get_kb_article(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let article = service::get_article(&state, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(etag(article.version)).json(article))
}

/// Update a knowledge-base article
///
/// A new title or body is a new revision. Going from `draft` to `published` is
/// `kb_article.published`; anything else `kb_article.updated`.
#[utoipa::path(
    operation_id = "update_kb_article", tag = "Knowledge base", request_body = ArticlePatch, security(("bearer" = [])),
    params(("id" = String, Path, description = "Article id"), IfMatch),
    responses((status = 200, description = "The updated article", body = ArticleOut))
)]
#[patch("/kb-articles/{id}")]
pub async fn update_kb_article(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
    input: ValidatedJson<ArticlePatch>,
) -> ApiResult<HttpResponse> {
    let article = service::update_article(&state, &actor, id.into_inner(), input.0, if_match.0).await?;
    Ok(HttpResponse::Ok().insert_header(etag(article.version)).json(article))
}

/// Delete a knowledge-base article
#[utoipa::path(
    operation_id = "delete_kb_article", tag = "Knowledge base", security(("bearer" = [])),
    params(("id" = String, Path, description = "Article id"), IfMatch),
    responses((status = 204, description = "Deleted, with its revisions"))
)]
#[delete("/kb-articles/{id}")]
pub async fn delete_kb_article(
    state: web::Data<AppState>,
    actor: Actor,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::delete_article(&state, &actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An article's revisions
///
/// Newest first: every title and body it had.
#[utoipa::path(
    operation_id = "list_kb_article_revisions", tag = "Knowledge base", security(("bearer" = [])),
    params(("id" = String, Path, description = "Article id")),
    responses((status = 200, description = "The revisions", body = Vec<RevisionOut>))
)]
#[get("/kb-articles/{id}/revisions")]
pub async fn list_kb_article_revisions(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::revisions(&state, &actor, id.into_inner()).await?))
}

/// Articles suggested for a ticket
///
/// Up to five published articles that its subject and description call for, best first.
#[utoipa::path(
    operation_id = "get_ticket_suggested_articles", tag = "Knowledge base", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id", example = "tkt_01jbz3m3x7f6ks6q0vd1tq2n5a")),
    responses((status = 200, description = "The suggested articles", body = Vec<ArticleOut>))
)]
#[get("/tickets/{id}/suggested-articles")]
pub async fn get_ticket_suggested_articles(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::suggestions(&state, &actor, id.into_inner()).await?))
}
