//! The forecast's one query.

use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::RunQueryDsl;

use crate::deal::model::{OWNER, RECORD_TYPE};

/// Deals of one group, status, forecast category and currency.
#[derive(Debug, diesel::QueryableByName)]
pub struct Sums {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub category: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub count: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub amount: Option<i64>,
    /// Σ amount × the stage's probability in percent.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub weighted: Option<i64>,
}

/// How the forecast groups deals: the SQL of the key (a constant) and any join it needs.
#[derive(Debug, Clone, Copy)]
pub enum Grouping {
    None,
    Owner,
    Pipeline,
    Team,
}

impl Grouping {
    fn key(self) -> &'static str {
        match self {
            Grouping::None => "''",
            Grouping::Owner => "COALESCE(deals.owner_id, '')",
            Grouping::Pipeline => "deals.pipeline_id",
            Grouping::Team => "tm.team_id",
        }
    }
}

/// Live deals in the scope's sight, not lost, closing from `start` to `end` (`YYYY-MM-DD`,
/// inclusive), optionally of one pipeline or owner, summed by group, status, category and
/// currency. Grouped by team, a deal counts in each team of its owner (and in none without one).
pub fn sums(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    start: &str,
    end: &str,
    pipeline_id: Option<&str>,
    owner_id: Option<&str>,
) -> ApiResult<Vec<Sums>> {
    let sql = |s: String| Piece::Sql(s);
    let text = |s: &str| Piece::Text(s.to_string());
    let mut pieces = vec![sql(format!(
        "SELECT {} AS key, deals.status AS status, deals.forecast_category AS category, deals.currency AS currency, \
         COUNT(*) AS count, CAST(SUM(deals.amount) AS BIGINT) AS amount, \
         CAST(SUM(deals.amount * s.probability) AS BIGINT) AS weighted \
         FROM deals JOIN pipeline_stages s ON s.org_id = deals.org_id AND s.id = deals.stage_id",
        grouping.key()
    ))];
    if let Grouping::Team = grouping {
        pieces.push(sql(" JOIN team_members tm ON tm.org_id = deals.org_id AND tm.user_id = deals.owner_id".into()));
    }
    pieces.extend([
        sql(" WHERE deals.org_id = ".into()),
        text(scope.org_id()),
        sql(" AND deals.deleted_at IS NULL AND deals.status <> 'lost' AND deals.close_date >= ".into()),
        text(start),
        sql(" AND deals.close_date <= ".into()),
        text(end),
    ]);
    if let Some(pipeline) = pipeline_id {
        pieces.extend([sql(" AND deals.pipeline_id = ".into()), text(pipeline)]);
    }
    if let Some(owner) = owner_id {
        pieces.extend([sql(" AND deals.owner_id = ".into()), text(owner)]);
    }
    if let Some(sight) = scope.sight(RECORD_TYPE, OWNER) {
        pieces.push(sql(" AND ".into()));
        pieces.extend(sight);
    }
    // PostgreSQL refuses a constant in GROUP BY: without a grouping, the key is left out.
    let key = match grouping {
        Grouping::None => String::new(),
        other => format!("{}, ", other.key()),
    };
    pieces.push(sql(format!(" GROUP BY {key}deals.status, deals.forecast_category, deals.currency")));
    Ok(Statement::uncached(pieces).load(conn)?)
}
