//! `/v1/public/kb/{slug}`: an organization's published articles and categories, searched and
//! voted on without a login. A slug names one organization; nothing else of it shows.

use actix_web::{HttpResponse, get, post, web};
use crm_core::error::{ApiError, ApiResult, Problem};
use crm_core::http::{Page, ValidatedJson};
use crm_core::scope::Scope;
use crm_core::state::AppState;

use super::dto::{CategoriesQuery, CategoryOut, PublicArticleOut, PublicArticlesQuery, VoteIn};
use super::model;
use super::search::{self, Words};

/// The organization whose site has the slug, as the platform sees it (404 for none).
async fn site_scope(state: &AppState, slug: String) -> ApiResult<Scope> {
    let site = state.db.read(move |conn| model::site_by_slug(conn, &slug)).await?;
    let site = site.ok_or_else(|| ApiError::not_found("knowledge base"))?;
    Ok(crm_core::jobs::schedule::system_actor(&site.org_id).scope())
}

/// Public: search or list published articles
///
/// No login. With `query`, a full-text search of titles and bodies, the best matches first;
/// without, the latest updated.
#[utoipa::path(
    operation_id = "list_public_kb_articles", tag = "Knowledge base", security(()),
    params(("slug" = String, Path, description = "The site's slug", example = "acme-help"), PublicArticlesQuery),
    responses(
        (status = 200, description = "Published articles", body = Page<PublicArticleOut>),
        (status = 404, description = "No site has this slug", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/kb/{slug}/articles")]
pub async fn list_public_kb_articles(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<PublicArticlesQuery>,
) -> ApiResult<HttpResponse> {
    let scope = site_scope(&state, slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(published_articles(&state, scope, query.into_inner()).await?))
}

/// The organization's published articles: the best matches of `query`, or the latest updated.
pub(crate) async fn published_articles(
    state: &AppState,
    scope: Scope,
    query: PublicArticlesQuery,
) -> ApiResult<Page<PublicArticleOut>> {
    let limit = query.limit.unwrap_or(20).clamp(1, 100);
    let rows = state
        .db
        .read(move |conn| match query.query.as_deref() {
            Some(text) => search::search(conn, &scope, text, Words::All, true, query.category_id.as_deref(), limit),
            None => {
                let filters =
                    model::ArticleFilters { status: Some("published".into()), category_id: query.category_id };
                let paging =
                    crm_core::http::ListQuery { limit: Some(limit), cursor: None, sort: Some("-updated_at".into()) };
                let plan = model::ARTICLE_SORTS.plan(&paging, &[])?;
                let mut rows = model::articles(conn, &scope, &filters, &plan)?;
                rows.truncate(limit as usize);
                Ok(rows)
            }
        })
        .await?;
    let data = rows.into_iter().map(PublicArticleOut::from).collect();
    Ok(Page { data, has_more: false, next_cursor: None })
}

/// One of the organization's published articles.
pub(crate) async fn published_article(state: &AppState, scope: Scope, id: String) -> ApiResult<PublicArticleOut> {
    let article = state.db.read(move |conn| model::article(conn, &scope, &id, true)).await?;
    Ok(PublicArticleOut::from(article.ok_or_else(|| ApiError::not_found("article"))?))
}

/// Public: a published article
#[utoipa::path(
    operation_id = "get_public_kb_article", tag = "Knowledge base", security(()),
    params(
        ("slug" = String, Path, description = "The site's slug", example = "acme-help"),
        ("id" = String, Path, description = "Article id", example = "kba_01jbz3m3x7f6ks6q0vd1tq2n5b"),
    ),
    responses(
        (status = 200, description = "The article", body = PublicArticleOut),
        (status = 404, description = "No such site, or no such published article", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/kb/{slug}/articles/{id}")]
pub async fn get_public_kb_article(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let scope = site_scope(&state, slug).await?;
    Ok(HttpResponse::Ok().json(published_article(&state, scope, id).await?))
}

/// Public: the categories
#[utoipa::path(
    operation_id = "list_public_kb_categories", tag = "Knowledge base", security(()),
    params(("slug" = String, Path, description = "The site's slug", example = "acme-help"), CategoriesQuery),
    responses((status = 200, description = "A page of categories", body = Page<CategoryOut>))
)]
#[get("/public/kb/{slug}/categories")]
pub async fn list_public_kb_categories(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<CategoriesQuery>,
) -> ApiResult<HttpResponse> {
    let scope = site_scope(&state, slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(super::service::categories_page(&state, scope, query.into_inner()).await?))
}

/// Public: was this article helpful?
///
/// Counts a vote on a published article (`helpful_yes` or `helpful_no`).
#[utoipa::path(
    operation_id = "vote_public_kb_article", tag = "Knowledge base", security(()), request_body = VoteIn,
    params(
        ("slug" = String, Path, description = "The site's slug", example = "acme-help"),
        ("id" = String, Path, description = "Article id", example = "kba_01jbz3m3x7f6ks6q0vd1tq2n5b"),
    ),
    responses(
        (status = 204, description = "Counted"),
        (status = 404, description = "No such site, or no such published article", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/kb/{slug}/articles/{id}/votes")]
pub async fn vote_public_kb_article(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: ValidatedJson<VoteIn>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let scope = site_scope(&state, slug).await?;
    let helpful = input.0.helpful;
    let counted = state.db.write(move |conn| model::vote(conn, &scope, &id, helpful)).await?;
    if !counted {
        return Err(ApiError::not_found("article"));
    }
    Ok(HttpResponse::NoContent().finish())
}
