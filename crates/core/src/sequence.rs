//! Numbers per organization without gaps (quotes Q-0001, orders O-0001, invoices…): a counter
//! row per organization and name, bumped in the caller's transaction. The row stays locked
//! until that transaction ends, so concurrent takers queue and each gets the next number; a
//! transaction that rolls back gives its number back.

use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

#[derive(diesel::QueryableByName)]
struct Taken {
    #[diesel(sql_type = BigInt)]
    last: i64,
}

/// The next number of the sequence `name` (a constant) in the organization: 1, 2, 3…
pub fn next(conn: &mut DbConnection, scope: &Scope, name: &'static str) -> ApiResult<i64> {
    use diesel::RunQueryDsl;
    let org = || Piece::Text(scope.org_id().to_string());
    let name = || Piece::Text(name.to_string());
    Statement::new(vec![
        Piece::Sql("INSERT INTO number_sequences (org_id, name, last) VALUES (".into()),
        org(),
        Piece::Sql(", ".into()),
        name(),
        Piece::Sql(", 0) ON CONFLICT (org_id, name) DO NOTHING".into()),
    ])
    .execute(conn)?;
    let taken: Taken = Statement::new(vec![
        Piece::Sql("UPDATE number_sequences SET last = last + 1 WHERE org_id = ".into()),
        org(),
        Piece::Sql(" AND name = ".into()),
        name(),
        Piece::Sql(" RETURNING last".into()),
    ])
    .get_result(conn)?;
    Ok(taken.last)
}
