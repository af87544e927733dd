//! SQL built from trusted constants (a resource's column names) and bound values, that diesel
//! may keep as a prepared statement. diesel's `sql()` literals mark every statement holding
//! them as not cacheable, so a list sorted through them was parsed and planned on every
//! request; these fragments are cached by their SQL text, which their constants fully decide.

use chrono::NaiveDateTime;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate};
use diesel::query_builder::Query;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::RunQueryDsl;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamp, Untyped};

use crate::db::DbConnection;

type Backend = <DbConnection as diesel::Connection>::Backend;

/// One piece of a fragment.
#[derive(Debug, Clone)]
pub enum Piece {
    /// SQL text: only ever built from constants, never from input.
    Sql(String),
    Text(String),
    /// Text or SQL NULL, bound either way, so that the statement's text stays the same.
    OptionalText(Option<String>),
    BigInt(i64),
    Double(f64),
    Time(NaiveDateTime),
    /// Like `OptionalText`, for the other types.
    OptionalBigInt(Option<i64>),
    OptionalDouble(Option<f64>),
    OptionalTime(Option<NaiveDateTime>),
}

impl Piece {
    /// A bound text value.
    pub fn text(value: &str) -> Piece {
        Piece::Text(value.to_string())
    }
}

/// A cacheable SQL fragment of SQL type `T` (`Bool` for a condition, `Text` for an ORDER BY).
#[derive(Debug, Clone)]
pub struct Fragment<T> {
    pieces: Vec<Piece>,
    cacheable: bool,
    _type: std::marker::PhantomData<T>,
}

impl<T> Fragment<T> {
    pub fn new(pieces: Vec<Piece>) -> Self {
        Fragment { pieces, cacheable: true, _type: std::marker::PhantomData }
    }

    /// A fragment whose shape varies with its input (a multi-row statement takes as many rows as
    /// it is given): kept out of the prepared statement cache, which it would fill.
    pub fn uncached(pieces: Vec<Piece>) -> Self {
        Fragment { pieces, cacheable: false, _type: std::marker::PhantomData }
    }
}

impl<T: diesel::expression::TypedExpressionType> Expression for Fragment<T> {
    type SqlType = T;
}

impl<T, QS> AppearsOnTable<QS> for Fragment<T> where Fragment<T>: Expression {}
impl<T, QS> SelectableExpression<QS> for Fragment<T> where Fragment<T>: Expression {}

impl<T> ValidGrouping<()> for Fragment<T> {
    type IsAggregate = is_aggregate::Never;
}

impl<T> QueryId for Fragment<T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T> QueryFragment<Backend> for Fragment<T> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Backend>) -> diesel::QueryResult<()> {
        if !self.cacheable {
            out.unsafe_to_cache_prepared();
        }
        for piece in &self.pieces {
            match piece {
                Piece::Sql(sql) => out.push_sql(sql),
                Piece::Text(value) => out.push_bind_param::<Text, String>(value)?,
                Piece::OptionalText(value) => out.push_bind_param::<Nullable<Text>, Option<String>>(value)?,
                Piece::BigInt(value) => out.push_bind_param::<BigInt, i64>(value)?,
                Piece::Double(value) => out.push_bind_param::<Double, f64>(value)?,
                Piece::Time(value) => out.push_bind_param::<Timestamp, NaiveDateTime>(value)?,
                Piece::OptionalBigInt(value) => out.push_bind_param::<Nullable<BigInt>, Option<i64>>(value)?,
                Piece::OptionalDouble(value) => out.push_bind_param::<Nullable<Double>, Option<f64>>(value)?,
                Piece::OptionalTime(value) => {
                    out.push_bind_param::<Nullable<Timestamp>, Option<NaiveDateTime>>(value)?
                }
            }
        }
        Ok(())
    }
}

/// A cacheable condition.
pub type Condition = Fragment<Bool>;

/// A whole cacheable statement, its rows read by column name (`QueryableByName`): what a query
/// too particular for diesel's DSL is written as, on both backends at once.
pub type Statement = Fragment<Untyped>;

impl Query for Statement {
    type SqlType = Untyped;
}

impl<C> RunQueryDsl<C> for Statement {}

/// `UPDATE <table> SET <column> = <value>, … WHERE org_id = … AND id = …`, kept prepared: diesel
/// never caches its UPDATE statements, so PostgreSQL would parse and plan a record's update on
/// every write. The table and column names are the caller's constants.
pub fn update_record(table: &str, org_id: &str, id: &str, set: Vec<(&str, Piece)>) -> Statement {
    Statement::new(update_row(table, org_id, id, set))
}

/// [`update_record`] as pieces, to run within a statement.
pub fn update_row(table: &str, org_id: &str, id: &str, set: Vec<(&str, Piece)>) -> Vec<Piece> {
    let mut pieces = vec![Piece::Sql(format!("UPDATE {table} SET "))];
    for (i, (column, value)) in set.into_iter().enumerate() {
        pieces.push(Piece::Sql(format!("{}{column} = ", if i == 0 { "" } else { ", " })));
        pieces.push(value);
    }
    pieces.extend([
        Piece::Sql(" WHERE org_id = ".into()),
        Piece::Text(org_id.to_string()),
        Piece::Sql(" AND id = ".into()),
        Piece::Text(id.to_string()),
    ]);
    pieces
}

/// `INSERT INTO <table> (<column>, …) VALUES (<value>, …)` as pieces, to run as a [`Statement`]
/// or within one (`WITH a AS (INSERT …) INSERT …` writes two rows in one round trip). The table
/// and column names are the caller's constants.
pub fn insert_row(table: &str, row: Vec<(&str, Piece)>) -> Vec<Piece> {
    let (columns, values): (Vec<&str>, Vec<Piece>) = row.into_iter().unzip();
    let mut pieces = vec![insert_into(table, &columns)];
    pieces.extend(value_rows(vec![values]));
    pieces
}

/// [`insert_row`] for several rows of the same columns, in one statement; none for no rows.
pub fn insert_values(table: &str, columns: &[&str], rows: Vec<Vec<Piece>>) -> Option<Vec<Piece>> {
    if rows.is_empty() {
        return None;
    }
    let mut pieces = vec![insert_into(table, columns)];
    pieces.extend(value_rows(rows));
    Some(pieces)
}

fn insert_into(table: &str, columns: &[&str]) -> Piece {
    Piece::Sql(format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")))
}

/// `(<value>, …), (<value>, …)`: the rows of a `VALUES` list.
pub fn value_rows(rows: Vec<Vec<Piece>>) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (r, row) in rows.into_iter().enumerate() {
        pieces.push(Piece::Sql(if r == 0 { "(" } else { ", (" }.into()));
        for (i, value) in row.into_iter().enumerate() {
            if i > 0 {
                pieces.push(Piece::Sql(", ".into()));
            }
            pieces.push(value);
        }
        pieces.push(Piece::Sql(")".into()));
    }
    pieces
}

/// Makes the transactions holding the same `key` (in the caller's `space`, a constant) run one
/// after the other until each ends: a PostgreSQL advisory lock on the key's hash (two keys
/// that hash alike merely wait for each other). A no-op on SQLite, whose one writer connection
/// already runs them one after the other.
pub fn hold_key(conn: &mut DbConnection, space: i32, key: &str) -> crate::error::ApiResult<()> {
    if conn.backend() == crate::db::Backend::Postgres {
        Statement::new(vec![
            Piece::Sql(format!("SELECT pg_advisory_xact_lock({space}, hashtext(")),
            Piece::Text(key.to_string()),
            Piece::Sql(")) IS NOT NULL AS held".into()),
        ])
        .execute(conn)?;
    }
    Ok(())
}
