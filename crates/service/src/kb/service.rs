//! Knowledge-base use cases: each write one transaction, with its audit row and event. A
//! new title or body is a new revision; going from draft to published is
//! `kb_article.published`.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{
    ArticleIn, ArticleOut, ArticlePatch, ArticleStatus, ArticlesQuery, CategoriesQuery, CategoryIn, CategoryOut,
    CategoryPatch, RevisionOut, SiteIn, SiteOut,
};
use super::model::{self, ArticleFields};
use super::search::{self, Words};
use crate::permissions;

/// The advisory lock space of the organizations' public sites (`crm_core::sql::hold_key`).
const SITE_LOCKS: i32 = 7263022;
/// How many articles a ticket is suggested.
const SUGGESTIONS: i64 = 5;

const CATEGORIES: Versioned<CategoryOut> = Versioned {
    table: "kb_categories",
    org_column: "org_id",
    resource: model::CATEGORY,
    load: load_category,
    load_locked: None,
    version: |c| c.version,
};

const ARTICLES: Versioned<ArticleOut> = Versioned {
    table: "kb_articles",
    org_column: "org_id",
    resource: model::ARTICLE,
    load: load_article,
    load_locked: None,
    version: |a| a.version,
};

fn load_category(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<CategoryOut> {
    model::category(conn, scope, id)?.map(CategoryOut::from).ok_or_else(|| ApiError::not_found("category"))
}

fn load_article(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ArticleOut> {
    model::article(conn, scope, id, false)?.map(ArticleOut::from).ok_or_else(|| ApiError::not_found("article"))
}

fn site_out(site: Option<model::Site>) -> SiteOut {
    match site {
        Some(s) => {
            SiteOut { slug: Some(s.slug), name: Some(s.name), updated_at: Some(s.updated_at), version: s.version }
        }
        None => SiteOut { slug: None, name: None, updated_at: None, version: 0 },
    }
}

pub async fn get_site(state: &AppState, actor: &Actor) -> ApiResult<SiteOut> {
    actor.require(permissions::KNOWLEDGE, Action::Read)?;
    let org_id = actor.org_id.clone();
    state.db.read(move |conn| Ok(site_out(model::site(conn, &org_id)?))).await
}

fn is_slug(slug: &str) -> bool {
    (3..=63).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// Sets the public site's slug and name (`kb_site.updated`); 409 when another organization
/// has the slug.
pub async fn put_site(state: &AppState, actor: &Actor, input: SiteIn) -> ApiResult<SiteOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    if !is_slug(&input.slug) {
        return Err(ApiError::invalid_field("/slug", "invalid_slug", "3 to 63 of a-z, 0-9 and -, not at either end"));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::invalid_field("/name", "required", "the site needs a name"));
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            // Concurrent changes of the site take turns: each records the site it changed.
            crm_core::sql::hold_key(conn, SITE_LOCKS, scope.org_id())?;
            if let Some(holder) = model::site_by_slug(conn, &input.slug)?
                && holder.org_id != scope.org_id()
            {
                return Err(ApiError::conflict("slug_taken", "Another organization's site has this slug."));
            }
            let before = site_out(model::site(conn, scope.org_id())?);
            if before.slug.as_deref() == Some(input.slug.as_str()) && before.name.as_deref() == Some(name.as_str()) {
                return Ok(before);
            }
            model::set_site(conn, &scope, &input.slug, &name)?;
            let after = site_out(model::site(conn, scope.org_id())?);
            let (b, a) = (serde_json::to_value(&before)?, serde_json::to_value(&after)?);
            let change = crm_core::change::Change {
                resource: model::SITE,
                id: scope.org_id(),
                action: "updated",
                before: Some(&b),
                after: Some(&a),
            };
            crm_core::change::record(conn, &actor, change)?;
            Ok(after)
        })
        .await
}

fn check_category(input: &CategoryIn) -> ApiResult<String> {
    validator::Validate::validate(input).map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::invalid_field("/name", "required", "a category needs a name"));
    }
    Ok(name)
}

pub async fn create_category(state: &AppState, actor: &Actor, input: CategoryIn) -> ApiResult<CategoryOut> {
    actor.require(permissions::KNOWLEDGE, Action::Write)?;
    let name = check_category(&input)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let id = crm_core::id::new_id(model::CATEGORY_PREFIX);
            let description = input.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
            let position = input.position.unwrap_or(0);
            model::save_category(conn, &actor.scope(), &id, &name, description, position, false)?;
            CATEGORIES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get_category(state: &AppState, actor: &Actor, id: String) -> ApiResult<CategoryOut> {
    actor.require(permissions::KNOWLEDGE, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load_category(conn, &scope, &id)).await
}

pub async fn list_categories(state: &AppState, actor: &Actor, query: CategoriesQuery) -> ApiResult<Page<CategoryOut>> {
    actor.require(permissions::KNOWLEDGE, Action::Read)?;
    categories_page(state, actor.scope(), query).await
}

pub(crate) async fn categories_page(
    state: &AppState,
    scope: Scope,
    query: CategoriesQuery,
) -> ApiResult<Page<CategoryOut>> {
    let plan = model::CATEGORY_SORTS.plan(&query.paging(), &[])?;
    let for_query = plan.clone();
    let rows = state.db.read(move |conn| model::categories(conn, &scope, &for_query)).await?;
    Ok(page(rows, &plan, |c| model::CATEGORY_SORTS.position(&plan, c), CategoryOut::from))
}

pub async fn update_category(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: CategoryPatch,
    if_match: Option<i64>,
) -> ApiResult<CategoryOut> {
    actor.require(permissions::KNOWLEDGE, Action::Write)?;
    if patch.name == Patch::Null || patch.position == Patch::Null {
        return Err(ApiError::invalid_field(
            if patch.name == Patch::Null { "/name" } else { "/position" },
            "required",
            "cannot be null",
        ));
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            CATEGORIES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = CategoryIn {
                    name: before.name.clone(),
                    description: before.description.clone(),
                    position: Some(before.position),
                };
                if let Patch::Value(name) = patch.name {
                    draft.name = name;
                }
                patch.description.apply_to(&mut draft.description);
                patch.position.apply_to(&mut draft.position);
                let name = check_category(&draft)?;
                let description = draft.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
                let position = draft.position.unwrap_or(0);
                if name == before.name && description == before.description.as_deref() && position == before.position {
                    return Ok(Edit::Unchanged);
                }
                model::save_category(conn, &actor.scope(), &id, &name, description, position, true)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Deletes an empty category (409 `category_not_empty` while articles are in it).
pub async fn delete_category(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::KNOWLEDGE, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            CATEGORIES.delete(conn, &actor, &id, if_match, |conn, _| {
                let scope = actor.scope();
                if model::category_used(conn, &scope, &id)? {
                    return Err(ApiError::conflict("category_not_empty", "Move or delete its articles first."));
                }
                model::delete_category(conn, &scope, &id)
            })?;
            Ok(())
        })
        .await
}

/// A checked article: its title, body, category and status.
fn check_article(conn: &mut DbConnection, scope: &Scope, input: &ArticleIn) -> ApiResult<(String, String)> {
    validator::Validate::validate(input).map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
    let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(ApiError::invalid_field("/title", "required", "an article needs a title"));
    }
    if input.body.trim().is_empty() {
        return Err(ApiError::invalid_field("/body", "required", "an article needs a body"));
    }
    if let Some(category) = &input.category_id
        && model::category(conn, scope, category)?.is_none()
    {
        return Err(ApiError::invalid_field(
            "/category_id",
            "unknown_category",
            "must be a category of the knowledge base",
        ));
    }
    Ok((title, input.body.clone()))
}

pub async fn create_article(state: &AppState, actor: &Actor, input: ArticleIn) -> ApiResult<ArticleOut> {
    actor.require(permissions::KNOWLEDGE, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let (title, body) = check_article(conn, &scope, &input)?;
            let id = crm_core::id::new_id(model::ARTICLE_PREFIX);
            let status = input.status.unwrap_or(ArticleStatus::Draft);
            let published_at = (status == ArticleStatus::Published).then(crm_core::time::now);
            let fields = ArticleFields {
                category_id: input.category_id.as_deref(),
                title: &title,
                body: &body,
                status: status.as_str(),
                revision: 1,
                published_at,
            };
            model::save_article(conn, &scope, &id, &fields, Some(actor.principal_id()))?;
            model::add_revision(conn, &scope, &id, 1, &title, &body, actor.principal_id())?;
            search::index(conn, &scope, &id, &title, &body)?;
            let created = ARTICLES.created(conn, &actor, &id)?;
            if status == ArticleStatus::Published {
                let a = serde_json::to_value(&created)?;
                let change = crm_core::change::Change {
                    resource: model::ARTICLE,
                    id: &id,
                    action: "published",
                    before: None,
                    after: Some(&a),
                };
                crm_core::change::record(conn, &actor, change)?;
            }
            Ok(created)
        })
        .await
}

pub async fn get_article(state: &AppState, actor: &Actor, id: String) -> ApiResult<ArticleOut> {
    actor.require(permissions::KNOWLEDGE, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load_article(conn, &scope, &id)).await
}

/// Lists articles (drafts too), or with `query` the best matches (one page).
pub async fn list_articles(state: &AppState, actor: &Actor, query: ArticlesQuery) -> ApiResult<Page<ArticleOut>> {
    actor.require(permissions::KNOWLEDGE, Action::Read)?;
    let scope = actor.scope();
    let status = query.status.map(|s| s.as_str().to_string());
    if let Some(text) = query.query.clone() {
        let limit = query.limit.unwrap_or(50).clamp(1, 200);
        let rows = state
            .db
            .read(move |conn| {
                let published = status.as_deref() == Some("published");
                let mut rows =
                    search::search(conn, &scope, &text, Words::All, published, query.category_id.as_deref(), limit)?;
                rows.retain(|a| status.as_ref().is_none_or(|s| &a.status == s));
                Ok(rows)
            })
            .await?;
        return Ok(Page { data: rows.into_iter().map(ArticleOut::from).collect(), has_more: false, next_cursor: None });
    }
    let plan = model::ARTICLE_SORTS.plan(&query.paging(), &[])?;
    let for_query = plan.clone();
    let filters = model::ArticleFilters { status, category_id: query.category_id };
    let rows = state.db.read(move |conn| model::articles(conn, &scope, &filters, &for_query)).await?;
    Ok(page(rows, &plan, |a| model::ARTICLE_SORTS.position(&plan, a), ArticleOut::from))
}

pub async fn update_article(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: ArticlePatch,
    if_match: Option<i64>,
) -> ApiResult<ArticleOut> {
    actor.require(permissions::KNOWLEDGE, Action::Write)?;
    for (null, pointer) in [
        (patch.title == Patch::Null, "/title"),
        (patch.body == Patch::Null, "/body"),
        (patch.status == Patch::Null, "/status"),
    ] {
        if null {
            return Err(ApiError::invalid_field(pointer, "required", "cannot be null"));
        }
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            ARTICLES.update_named(conn, &actor, &id, if_match, |conn, before| {
                let scope = actor.scope();
                let mut draft = ArticleIn {
                    title: before.title.clone(),
                    body: before.body.clone(),
                    category_id: before.category_id.clone(),
                    status: Some(before.status),
                };
                if let Patch::Value(title) = patch.title {
                    draft.title = title;
                }
                if let Patch::Value(body) = patch.body {
                    draft.body = body;
                }
                patch.category_id.apply_to(&mut draft.category_id);
                patch.status.apply_to(&mut draft.status);
                let (title, body) = check_article(conn, &scope, &draft)?;
                let status = draft.status.unwrap_or(ArticleStatus::Draft);
                let text_changed = title != before.title || body != before.body;
                if !text_changed && status == before.status && draft.category_id == before.category_id {
                    return Ok((Edit::Unchanged, "updated"));
                }
                let revision = if text_changed { before.revision + 1 } else { before.revision };
                let publishing = status == ArticleStatus::Published && before.status != ArticleStatus::Published;
                let published_at = if publishing { Some(crm_core::time::now()) } else { before.published_at };
                let fields = ArticleFields {
                    category_id: draft.category_id.as_deref(),
                    title: &title,
                    body: &body,
                    status: status.as_str(),
                    revision,
                    published_at,
                };
                model::save_article(conn, &scope, &id, &fields, None)?;
                if text_changed {
                    model::add_revision(conn, &scope, &id, revision, &title, &body, actor.principal_id())?;
                    search::index(conn, &scope, &id, &title, &body)?;
                }
                Ok((Edit::Changed, if publishing { "published" } else { "updated" }))
            })
        })
        .await
}

pub async fn delete_article(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::KNOWLEDGE, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            ARTICLES.delete(conn, &actor, &id, if_match, |conn, _| {
                let scope = actor.scope();
                search::remove(conn, &scope, &id)?;
                model::delete_article(conn, &scope, &id)
            })?;
            Ok(())
        })
        .await
}

pub async fn revisions(state: &AppState, actor: &Actor, id: String) -> ApiResult<Vec<RevisionOut>> {
    actor.require(permissions::KNOWLEDGE, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            load_article(conn, &scope, &id)?;
            Ok(model::revisions(conn, &scope, &id)?.into_iter().map(RevisionOut::from).collect())
        })
        .await
}

/// The published articles a ticket's subject and description suggest, best first.
pub async fn suggestions(state: &AppState, actor: &Actor, ticket_id: String) -> ApiResult<Vec<ArticleOut>> {
    actor.require(permissions::TICKETS, Action::Read)?;
    actor.require(permissions::KNOWLEDGE, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let ticket = crate::ticket::service::load(conn, &scope, &ticket_id)?;
            // The longer words say what it is about; short ones match everything.
            let text = format!("{} {}", ticket.subject, ticket.description.unwrap_or_default());
            let words: Vec<String> = crm_core::search_index::tokens(&text).filter(|w| w.chars().count() >= 4).collect();
            let found = search::search(conn, &scope, &words.join(" "), Words::Any, true, None, SUGGESTIONS)?;
            Ok(found.into_iter().map(ArticleOut::from).collect())
        })
        .await
}
