//! Pipeline and stage rows and their queries; every query takes the organization.

use chrono::NaiveDateTime;
use crm_core::db::{Backend, DbConnection};
use crm_core::error::ApiResult;
use crm_core::http::{ListPlan, SortField, SortKind, Sorts};
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::prelude::*;

use crate::schema::{deals, pipeline_stages as stages, pipelines};

pub const RECORD_TYPE: &str = "pipeline";
/// The TypeID prefix of its ids.
pub const ID_PREFIX: &str = "pipe";
/// The TypeID prefix of its stages' ids.
pub const STAGE_ID_PREFIX: &str = "stage";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pipelines)]
pub struct Pipeline {
    pub id: String,
    pub name: String,
    pub position: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = stages)]
pub struct Stage {
    pub id: String,
    pub pipeline_id: String,
    pub name: String,
    pub position: i32,
    pub probability: i32,
    pub kind: String,
}

/// What pipelines sort by.
pub static SORTS: Sorts<Pipeline> = Sorts {
    default: "position",
    id_column: "pipelines.id",
    id: |p| &p.id,
    custom: |_| "",
    fields: &[
        SortField {
            name: "position",
            column: "pipelines.position",
            kind: SortKind::Number,
            nullable: false,
            value: |p| Some(f64::from(p.position).to_string()),
        },
        SortField {
            name: "created_at",
            column: "pipelines.created_at",
            kind: SortKind::Time,
            nullable: false,
            value: |p| Some(crm_core::time::format(&p.created_at)),
        },
        SortField {
            name: "name",
            column: "pipelines.name",
            kind: SortKind::Text,
            nullable: false,
            value: |p| Some(p.name.clone()),
        },
    ],
};

pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Pipeline>> {
    Ok(pipelines::table
        .filter(pipelines::org_id.eq(scope.org_id()))
        .filter(pipelines::id.eq(id))
        .select(Pipeline::as_select())
        .first(conn)
        .optional()?)
}

/// The organization's first pipeline (lowest position): where deals go when none is named.
pub fn default_id(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Option<String>> {
    Ok(pipelines::table
        .filter(pipelines::org_id.eq(scope.org_id()))
        .order((pipelines::position.asc(), pipelines::id.asc()))
        .select(pipelines::id)
        .first(conn)
        .optional()?)
}

/// The pipeline with this name, other than `except`.
pub fn named(conn: &mut DbConnection, scope: &Scope, name: &str, except: &str) -> ApiResult<Option<String>> {
    Ok(pipelines::table
        .filter(pipelines::org_id.eq(scope.org_id()))
        .filter(pipelines::name.eq(name))
        .filter(pipelines::id.ne(except))
        .select(pipelines::id)
        .first(conn)
        .optional()?)
}

/// The position after the last pipeline's.
pub fn next_position(conn: &mut DbConnection, scope: &Scope) -> ApiResult<i32> {
    let last: Option<i32> = pipelines::table
        .filter(pipelines::org_id.eq(scope.org_id()))
        .select(diesel::dsl::max(pipelines::position))
        .first(conn)?;
    Ok(last.map_or(0, |p| p + 1))
}

/// The stages of these pipelines, in order.
pub fn stages_of(conn: &mut DbConnection, scope: &Scope, pipeline_ids: &[&str]) -> ApiResult<Vec<Stage>> {
    Ok(stages::table
        .filter(stages::org_id.eq(scope.org_id()))
        .filter(stages::pipeline_id.eq_any(pipeline_ids))
        .order((stages::pipeline_id.asc(), stages::position.asc()))
        .select(Stage::as_select())
        .load(conn)?)
}

pub fn insert(conn: &mut DbConnection, scope: &Scope, id: &str, name: &str, position: i32) -> ApiResult<()> {
    let now = crm_core::time::now();
    diesel::insert_into(pipelines::table)
        .values((
            pipelines::id.eq(id),
            pipelines::org_id.eq(scope.org_id()),
            pipelines::name.eq(name),
            pipelines::position.eq(position),
            pipelines::created_at.eq(now),
            pipelines::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Inserts the pipeline unless the organization has one of that name: whether it did.
pub fn insert_unless_named(conn: &mut DbConnection, scope: &Scope, id: &str, name: &str) -> ApiResult<bool> {
    let now = crm_core::time::now();
    let mut pieces = crm_core::sql::insert_row(
        "pipelines",
        vec![
            ("id", Piece::Text(id.to_string())),
            ("org_id", Piece::Text(scope.org_id().to_string())),
            ("name", Piece::Text(name.to_string())),
            ("position", Piece::BigInt(0)),
            ("created_at", Piece::Time(now)),
            ("updated_at", Piece::Time(now)),
        ],
    );
    pieces.push(Piece::Sql(" ON CONFLICT (org_id, name) DO NOTHING".into()));
    Ok(Statement::new(pieces).execute(conn)? == 1)
}

pub fn update(conn: &mut DbConnection, scope: &Scope, id: &str, name: &str, position: i32) -> ApiResult<()> {
    diesel::update(pipelines::table.filter(pipelines::org_id.eq(scope.org_id())).filter(pipelines::id.eq(id)))
        .set((pipelines::name.eq(name), pipelines::position.eq(position)))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(pipelines::table.filter(pipelines::org_id.eq(scope.org_id())).filter(pipelines::id.eq(id)))
        .execute(conn)?;
    Ok(())
}

pub fn insert_stage(conn: &mut DbConnection, scope: &Scope, stage: &Stage) -> ApiResult<()> {
    diesel::insert_into(stages::table)
        .values((
            stages::id.eq(&stage.id),
            stages::org_id.eq(scope.org_id()),
            stages::pipeline_id.eq(&stage.pipeline_id),
            stages::name.eq(&stage.name),
            stages::position.eq(stage.position),
            stages::probability.eq(stage.probability),
            stages::kind.eq(&stage.kind),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update_stage(conn: &mut DbConnection, scope: &Scope, stage: &Stage) -> ApiResult<()> {
    diesel::update(stages::table.filter(stages::org_id.eq(scope.org_id())).filter(stages::id.eq(&stage.id)))
        .set((
            stages::name.eq(&stage.name),
            stages::position.eq(stage.position),
            stages::probability.eq(stage.probability),
            stages::kind.eq(&stage.kind),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_stage(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    diesel::delete(stages::table.filter(stages::org_id.eq(scope.org_id())).filter(stages::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Deals (live or trashed) in the stage: a stage with deals cannot go or change its kind.
pub fn deals_in_stage(conn: &mut DbConnection, scope: &Scope, stage_id: &str) -> ApiResult<i64> {
    Ok(deals::table
        .filter(deals::org_id.eq(scope.org_id()))
        .filter(deals::stage_id.eq(stage_id))
        .count()
        .get_result(conn)?)
}

/// Deals (live or trashed) in the pipeline.
pub fn deals_in_pipeline(conn: &mut DbConnection, scope: &Scope, pipeline_id: &str) -> ApiResult<i64> {
    Ok(deals::table
        .filter(deals::org_id.eq(scope.org_id()))
        .filter(deals::pipeline_id.eq(pipeline_id))
        .count()
        .get_result(conn)?)
}

/// Holds the pipeline's stages as they are until the transaction ends: a deal's write takes
/// this share lock, so an edit of the stages (which locks the row for update) waits for the
/// deal writes in flight and they for it, while deal writes do not wait for each other.
/// SQLite has one writer, which already serializes them.
pub fn hold(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    if conn.backend() == Backend::Postgres {
        #[derive(QueryableByName)]
        struct Held {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            #[expect(dead_code, reason = "selected to take the lock, never read")]
            position: i32,
        }
        Statement::new(vec![
            Piece::Sql("SELECT position FROM pipelines WHERE org_id = ".into()),
            Piece::Text(scope.org_id().to_string()),
            Piece::Sql(" AND id = ".into()),
            Piece::Text(id.to_string()),
            Piece::Sql(" FOR SHARE".into()),
        ])
        .load::<Held>(conn)?;
    }
    Ok(())
}

/// [`hold`] on the pipeline of a stage, found in the same statement: the pipeline's id, none
/// when the stage is not the organization's.
pub fn hold_of_stage(conn: &mut DbConnection, scope: &Scope, stage_id: &str) -> ApiResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let org = || Piece::Text(scope.org_id().to_string());
    let mut pieces = vec![
        Piece::Sql("SELECT id FROM pipelines WHERE org_id = ".into()),
        org(),
        Piece::Sql(" AND id = (SELECT pipeline_id FROM pipeline_stages WHERE org_id = ".into()),
        org(),
        Piece::Sql(" AND id = ".into()),
        Piece::Text(stage_id.to_string()),
        Piece::Sql(")".into()),
    ];
    if conn.backend() == Backend::Postgres {
        pieces.push(Piece::Sql(" FOR SHARE".into()));
    }
    Ok(Statement::new(pieces).get_result::<Held>(conn).optional()?.map(|held| held.id))
}

pub fn list(conn: &mut DbConnection, scope: &Scope, plan: &ListPlan) -> ApiResult<Vec<Pipeline>> {
    let mut query =
        pipelines::table.filter(pipelines::org_id.eq(scope.org_id())).select(Pipeline::as_select()).into_boxed();
    let (order, after) = SORTS.keyset::<pipelines::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}
