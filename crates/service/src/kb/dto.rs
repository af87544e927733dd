//! The knowledge base as the API shows and takes it.

use chrono::NaiveDateTime;
use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::{Article, Category, Revision};

/// `PUT /v1/knowledge-base/site`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "acme-help", "name": "Acme Help Center"}))]
pub struct SiteIn {
    /// The public site's address, `/v1/public/kb/{slug}`: 3–63 of a-z, 0-9 and `-`, unique
    /// across organizations.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", example = "acme-help")]
    pub slug: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// The organization's public knowledge-base site (`version` 0 and no slug until set: no public
/// site).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"slug": "acme-help", "name": "Acme Help Center", "updated_at": "2026-12-07T09:12:00Z", "version": 1}))]
pub struct SiteOut {
    pub slug: Option<String>,
    pub name: Option<String>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<NaiveDateTime>,
    pub version: i64,
}

/// A new category.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Billing", "description": "Invoices, payments and plans", "position": 1}))]
pub struct CategoryIn {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Default 0; categories list by position.
    #[validate(range(min = 0, max = 10000))]
    #[schema(minimum = 0, maximum = 10000)]
    pub position: Option<i32>,
}

/// Changes to a category (JSON merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Billing and plans"}))]
pub struct CategoryPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub position: Patch<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "kbc_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Billing", "description": "Invoices, payments and plans",
    "position": 1, "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct CategoryOut {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub position: i32,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl From<Category> for CategoryOut {
    fn from(c: Category) -> Self {
        CategoryOut {
            id: c.id,
            name: c.name,
            description: c.description,
            position: c.position,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Published,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
        }
    }
}

/// A new article.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "How to export invoices to PDF", "category_id": "kbc_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "body": "## Export\n\nOpen **Invoices**, select the invoices and choose *Export to PDF*.", "status": "published"
}))]
pub struct ArticleIn {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Markdown, up to 256 KiB.
    #[validate(length(min = 1, max = 262144))]
    #[schema(min_length = 1, max_length = 262144)]
    pub body: String,
    pub category_id: Option<String>,
    /// Default `draft`.
    pub status: Option<ArticleStatus>,
}

/// Changes to an article (JSON merge patch). A new title or body is a new revision.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "published"}))]
pub struct ArticlePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub body: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub category_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = ArticleStatus)]
    pub status: Patch<ArticleStatus>,
}

/// An article.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "kba_01jbz3m3x7f6ks6q0vd1tq2n5b", "category_id": "kbc_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "title": "How to export invoices to PDF",
    "body": "## Export\n\nOpen **Invoices**, select the invoices and choose *Export to PDF*.", "status": "published",
    "revision": 2, "helpful_yes": 12, "helpful_no": 1, "published_at": "2026-12-07T09:12:00Z",
    "created_by": "usr_01jbz3m3x7f6ks6q0vd1tq2n5c", "created_at": "2026-12-07T09:00:00Z",
    "updated_at": "2026-12-07T09:12:00Z", "version": 2
}))]
pub struct ArticleOut {
    pub id: String,
    pub category_id: Option<String>,
    pub title: String,
    pub body: String,
    pub status: ArticleStatus,
    /// The revision the title and body are (1 for the first).
    pub revision: i32,
    /// "Was this helpful?" votes.
    pub helpful_yes: i64,
    pub helpful_no: i64,
    /// When it was last published.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
    pub created_by: String,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl From<Article> for ArticleOut {
    fn from(a: Article) -> Self {
        ArticleOut {
            id: a.id,
            category_id: a.category_id,
            title: a.title,
            body: a.body,
            status: if a.status == "published" { ArticleStatus::Published } else { ArticleStatus::Draft },
            revision: a.revision,
            helpful_yes: a.helpful_yes,
            helpful_no: a.helpful_no,
            published_at: a.published_at,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// A published article as the public site shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "kba_01jbz3m3x7f6ks6q0vd1tq2n5b", "category_id": "kbc_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "title": "How to export invoices to PDF",
    "body": "## Export\n\nOpen **Invoices**, select the invoices and choose *Export to PDF*.",
    "published_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z"
}))]
pub struct PublicArticleOut {
    pub id: String,
    pub category_id: Option<String>,
    pub title: String,
    pub body: String,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl From<Article> for PublicArticleOut {
    fn from(a: Article) -> Self {
        PublicArticleOut {
            id: a.id,
            category_id: a.category_id,
            title: a.title,
            body: a.body,
            published_at: a.published_at,
            updated_at: a.updated_at,
        }
    }
}

/// One revision of an article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevisionOut {
    pub revision: i32,
    pub title: String,
    pub body: String,
    pub created_by: String,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

impl From<Revision> for RevisionOut {
    fn from(r: Revision) -> Self {
        RevisionOut {
            revision: r.revision,
            title: r.title,
            body: r.body,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// Filters and paging for `GET /v1/kb-articles`. With `query`, the best matches first, one page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArticlesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `updated_at` (default) or `created_at`, `-` for descending.
    #[param(pattern = "^-?(updated_at|created_at)$")]
    pub sort: Option<String>,
    pub status: Option<ArticleStatus>,
    pub category_id: Option<String>,
    /// Full-text search of titles and bodies (every word, by prefix).
    pub query: Option<String>,
}

impl ArticlesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// Paging for `GET /v1/kb-categories`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CategoriesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    #[param(pattern = "^-?(position)$")]
    pub sort: Option<String>,
}

impl CategoriesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// `GET /v1/public/kb/{slug}/articles`: the published articles, or the best matches of `query`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicArticlesQuery {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub category_id: Option<String>,
    /// Full-text search of titles and bodies (every word, by prefix).
    pub query: Option<String>,
}

/// A "was this helpful?" vote.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"helpful": true}))]
pub struct VoteIn {
    pub helpful: bool,
}
