//! Numbers per organization (tickets #1, quotes Q-0001, orders O-0001…): a counter row per
//! organization and name. [`next`] bumps it in the caller's transaction: the row stays locked
//! until that ends, so concurrent takers queue, each gets the next number, and a transaction
//! that rolls back gives its number back (no gaps: quotes, orders). [`Blocks`] take numbers
//! ahead, ten at a time, for creations that must not queue (tickets on PostgreSQL): unique and
//! increasing within a process, with gaps where a creation failed or a process stopped.

use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::scope::Scope;
use crate::sql::{Piece, Statement};

#[derive(diesel::QueryableByName)]
struct Taken {
    #[diesel(sql_type = BigInt)]
    last: i64,
}

/// The next number of the sequence `name` (a constant) in the organization: 1, 2, 3…
pub fn next(conn: &mut DbConnection, scope: &Scope, name: &'static str) -> ApiResult<i64> {
    bump(conn, scope.org_id(), name, 1)
}

/// Moves the counter `by` on (creating it) in one statement; its new last number.
fn bump(conn: &mut DbConnection, org_id: &str, name: &'static str, by: i64) -> ApiResult<i64> {
    use diesel::RunQueryDsl;
    let taken: Taken = Statement::new(vec![
        Piece::Sql("INSERT INTO number_sequences (org_id, name, last) VALUES (".into()),
        Piece::Text(org_id.to_string()),
        Piece::Sql(", ".into()),
        Piece::Text(name.to_string()),
        Piece::Sql(", ".into()),
        Piece::BigInt(by),
        Piece::Sql(") ON CONFLICT (org_id, name) DO UPDATE SET last = number_sequences.last + ".into()),
        Piece::BigInt(by),
        Piece::Sql(" RETURNING last".into()),
    ])
    .get_result(conn)?;
    Ok(taken.last)
}

/// The numbers a process takes ahead, [`BLOCK`] at a time, for creations that must not queue on
/// the counter row at all (tickets on PostgreSQL): the bump commits on a connection of its own
/// (never the caller's transaction, never the pool's: a caller holding a pooled connection
/// cannot starve it), once per block. A restart skips what was left of each block; processes
/// interleave their blocks, so numbers are unique and increase within a process, not across.
#[derive(Clone)]
pub struct Blocks {
    url: std::sync::Arc<str>,
    reserve: std::sync::Arc<std::sync::Mutex<Reserve>>,
}

/// Numbers a block holds.
pub const BLOCK: i64 = 10;

#[derive(Default)]
struct Reserve {
    conn: Option<DbConnection>,
    /// (organization, sequence) → the next number and the block's last.
    blocks: std::collections::HashMap<(String, &'static str), (i64, i64)>,
}

impl Blocks {
    pub fn new(url: &str) -> Blocks {
        Blocks { url: url.into(), reserve: Default::default() }
    }

    /// The organization's next number of `name`, reserving a block when none is left (blocking:
    /// call it off the async executor).
    pub fn next(&self, org_id: &str, name: &'static str) -> ApiResult<i64> {
        let mut reserve = self.reserve.lock().map_err(|_| ApiError::internal("number blocks poisoned"))?;
        let key = (org_id.to_string(), name);
        if let Some((next, last)) = reserve.blocks.get_mut(&key)
            && *next <= *last
        {
            *next += 1;
            return Ok(*next - 1);
        }
        // A connection lost (a database restart) is opened again, once.
        let last = match reserve.bump(&self.url, org_id, name) {
            Ok(last) => last,
            Err(_) => {
                reserve.conn = None;
                reserve.bump(&self.url, org_id, name)?
            }
        };
        reserve.blocks.insert(key, (last - BLOCK + 2, last));
        Ok(last - BLOCK + 1)
    }
}

impl Reserve {
    /// Moves the counter a block on, on the reserve's own connection (committed at once); the
    /// block's last number.
    fn bump(&mut self, url: &str, org_id: &str, name: &'static str) -> ApiResult<i64> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(DbConnection::open(url).map_err(|_| ApiError::database_unavailable())?),
        };
        bump(conn, org_id, name, BLOCK)
    }
}
