//! Knowledge-base rows; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::{kb_article_revisions, kb_articles, kb_categories, kb_sites};

pub const ARTICLE: &str = "kb_article";
pub const ARTICLE_PREFIX: &str = "kba";
pub const CATEGORY: &str = "kb_category";
pub const CATEGORY_PREFIX: &str = "kbc";
pub const SITE: &str = "kb_site";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = kb_sites)]
pub struct Site {
    pub org_id: String,
    pub slug: String,
    pub name: String,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = kb_categories)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub position: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = kb_articles)]
pub struct Article {
    pub id: String,
    pub category_id: Option<String>,
    pub title: String,
    pub body: String,
    pub status: String,
    pub revision: i32,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub published_at: Option<NaiveDateTime>,
    pub created_by: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = kb_article_revisions)]
pub struct Revision {
    pub revision: i32,
    pub title: String,
    pub body: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub static CATEGORY_SORTS: Sorts<Category> = Sorts {
    default: "position",
    id_column: "kb_categories.id",
    id: |c| &c.id,
    custom: |_| "",
    fields: &[SortField {
        name: "position",
        column: "kb_categories.position",
        kind: SortKind::Number,
        nullable: false,
        value: |c| Some(c.position.to_string()),
    }],
};

pub static ARTICLE_SORTS: Sorts<Article> = Sorts {
    default: "updated_at",
    id_column: "kb_articles.id",
    id: |a| &a.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "updated_at",
            column: "kb_articles.updated_at",
            kind: SortKind::Time,
            nullable: false,
            value: |a| Some(crm_core::time::format(&a.updated_at)),
        },
        SortField {
            name: "created_at",
            column: "kb_articles.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |a| Some(crm_core::time::format(&a.created_at)),
        },
    ],
};

pub fn site(conn: &mut DbConnection, org_id: &str) -> ApiResult<Option<Site>> {
    Ok(kb_sites::table.filter(kb_sites::org_id.eq(org_id)).select(Site::as_select()).first(conn).optional()?)
}

/// The organization whose site has this slug.
pub fn site_by_slug(conn: &mut DbConnection, slug: &str) -> ApiResult<Option<Site>> {
    Ok(kb_sites::table.filter(kb_sites::slug.eq(slug)).select(Site::as_select()).first(conn).optional()?)
}

/// Sets the organization's site (making it, version 1, the first time).
pub fn set_site(conn: &mut DbConnection, scope: &Scope, slug: &str, name: &str) -> ApiResult<()> {
    let now = crm_core::time::now();
    let mut pieces = crm_core::sql::insert_row(
        "kb_sites",
        vec![
            ("org_id", Piece::text(scope.org_id())),
            ("slug", Piece::text(slug)),
            ("name", Piece::text(name)),
            ("version", Piece::BigInt(1)),
            ("created_at", Piece::Time(now)),
            ("updated_at", Piece::Time(now)),
        ],
    );
    pieces.push(Piece::Sql(
        " ON CONFLICT (org_id) DO UPDATE SET slug = excluded.slug, name = excluded.name, \
         updated_at = excluded.updated_at, version = kb_sites.version + 1"
            .into(),
    ));
    Statement::new(pieces).execute(conn)?;
    Ok(())
}

pub fn category(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Category>> {
    Ok(kb_categories::table
        .filter(kb_categories::org_id.eq(scope.org_id()))
        .filter(kb_categories::id.eq(id))
        .select(Category::as_select())
        .first(conn)
        .optional()?)
}

pub fn categories(conn: &mut DbConnection, scope: &Scope, plan: &ListPlan) -> ApiResult<Vec<Category>> {
    let mut query = kb_categories::table
        .filter(kb_categories::org_id.eq(scope.org_id().to_string()))
        .select(Category::as_select())
        .into_boxed();
    let (order, after) = CATEGORY_SORTS.keyset::<kb_categories::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

pub fn save_category(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    name: &str,
    description: Option<&str>,
    position: i32,
    exists: bool,
) -> ApiResult<()> {
    let now = crm_core::time::now();
    let mut set = vec![
        ("name", Piece::text(name)),
        ("description", Piece::OptionalText(description.map(str::to_string))),
        ("position", Piece::BigInt(i64::from(position))),
        ("updated_at", Piece::Time(now)),
    ];
    if exists {
        crm_core::sql::update_record("kb_categories", scope.org_id(), id, set).execute(conn)?;
    } else {
        set.extend([
            ("id", Piece::text(id)),
            ("org_id", Piece::text(scope.org_id())),
            ("created_at", Piece::Time(now)),
        ]);
        Statement::new(crm_core::sql::insert_row("kb_categories", set)).execute(conn)?;
    }
    Ok(())
}

/// Whether any article is in the category.
pub fn category_used(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<bool> {
    let n: i64 = kb_articles::table
        .filter(kb_articles::org_id.eq(scope.org_id()))
        .filter(kb_articles::category_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn delete_category(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(
        kb_categories::table.filter(kb_categories::org_id.eq(scope.org_id())).filter(kb_categories::id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

/// An article; only a published one when `published`.
pub fn article(conn: &mut DbConnection, scope: &Scope, id: &str, published: bool) -> ApiResult<Option<Article>> {
    let mut query = kb_articles::table
        .filter(kb_articles::org_id.eq(scope.org_id().to_string()))
        .filter(kb_articles::id.eq(id.to_string()))
        .select(Article::as_select())
        .into_boxed();
    if published {
        query = query.filter(kb_articles::status.eq("published"));
    }
    Ok(query.first(conn).optional()?)
}

/// [`Article`]'s columns of `kb_articles k`, for SQL written by hand (the search).
pub const ARTICLE_COLUMNS: &str = "k.id, k.category_id, k.title, k.body, k.status, k.revision, k.helpful_yes, \
     k.helpful_no, k.published_at, k.created_by, k.version, k.created_at, k.updated_at";

pub struct ArticleFilters {
    pub status: Option<String>,
    pub category_id: Option<String>,
}

pub fn articles(
    conn: &mut DbConnection,
    scope: &Scope,
    filters: &ArticleFilters,
    plan: &ListPlan,
) -> ApiResult<Vec<Article>> {
    let mut query = kb_articles::table
        .filter(kb_articles::org_id.eq(scope.org_id().to_string()))
        .select(Article::as_select())
        .into_boxed();
    if let Some(status) = &filters.status {
        query = query.filter(kb_articles::status.eq(status.clone()));
    }
    if let Some(category) = &filters.category_id {
        query = query.filter(kb_articles::category_id.eq(category.clone()));
    }
    let (order, after) = ARTICLE_SORTS.keyset::<kb_articles::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// What an article's write sets.
pub struct ArticleFields<'a> {
    pub category_id: Option<&'a str>,
    pub title: &'a str,
    pub body: &'a str,
    pub status: &'a str,
    pub revision: i32,
    pub published_at: Option<NaiveDateTime>,
}

pub fn save_article(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    f: &ArticleFields<'_>,
    created_by: Option<&str>,
) -> ApiResult<()> {
    let now = crm_core::time::now();
    let mut set = vec![
        ("category_id", Piece::OptionalText(f.category_id.map(str::to_string))),
        ("title", Piece::text(f.title)),
        ("body", Piece::text(f.body)),
        ("status", Piece::text(f.status)),
        ("revision", Piece::BigInt(i64::from(f.revision))),
        ("published_at", Piece::OptionalTime(f.published_at)),
        ("updated_at", Piece::Time(now)),
    ];
    match created_by {
        None => {
            crm_core::sql::update_record("kb_articles", scope.org_id(), id, set).execute(conn)?;
        }
        Some(author) => {
            set.extend([
                ("id", Piece::text(id)),
                ("org_id", Piece::text(scope.org_id())),
                ("created_by", Piece::text(author)),
                ("created_at", Piece::Time(now)),
            ]);
            Statement::new(crm_core::sql::insert_row("kb_articles", set)).execute(conn)?;
        }
    }
    Ok(())
}

pub fn add_revision(
    conn: &mut DbConnection,
    scope: &Scope,
    article_id: &str,
    revision: i32,
    title: &str,
    body: &str,
    by: &str,
) -> ApiResult<()> {
    diesel::insert_into(kb_article_revisions::table)
        .values((
            kb_article_revisions::org_id.eq(scope.org_id()),
            kb_article_revisions::article_id.eq(article_id),
            kb_article_revisions::revision.eq(revision),
            kb_article_revisions::title.eq(title),
            kb_article_revisions::body.eq(body),
            kb_article_revisions::created_by.eq(by),
            kb_article_revisions::created_at.eq(crm_core::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The article's revisions, newest first.
pub fn revisions(conn: &mut DbConnection, scope: &Scope, article_id: &str) -> ApiResult<Vec<Revision>> {
    Ok(kb_article_revisions::table
        .filter(kb_article_revisions::org_id.eq(scope.org_id()))
        .filter(kb_article_revisions::article_id.eq(article_id))
        .select(Revision::as_select())
        .order(kb_article_revisions::revision.desc())
        .load(conn)?)
}

pub fn delete_article(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(
        kb_article_revisions::table
            .filter(kb_article_revisions::org_id.eq(scope.org_id()))
            .filter(kb_article_revisions::article_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(kb_articles::table.filter(kb_articles::org_id.eq(scope.org_id())).filter(kb_articles::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// Counts a "was this helpful" vote on a published article: whether there was one to vote on.
pub fn vote(conn: &mut DbConnection, scope: &Scope, id: &str, helpful: bool) -> ApiResult<bool> {
    let target = kb_articles::table
        .filter(kb_articles::org_id.eq(scope.org_id()))
        .filter(kb_articles::id.eq(id))
        .filter(kb_articles::status.eq("published"));
    let n = if helpful {
        diesel::update(target).set(kb_articles::helpful_yes.eq(kb_articles::helpful_yes + 1)).execute(conn)?
    } else {
        diesel::update(target).set(kb_articles::helpful_no.eq(kb_articles::helpful_no + 1)).execute(conn)?
    };
    Ok(n == 1)
}
