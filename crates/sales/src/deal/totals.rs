//! Running totals of live deals, kept by every deal write in its own transaction: the count
//! and amount of the deals of each (pipeline, stage, owner, status, forecast category,
//! currency, close month). The board and the forecast read these few rows instead of
//! aggregating the deals on each request, when the caller sees every deal (otherwise they sum
//! the deals in sight, as before).
//!
//! Each write adds its deal to its new key and takes it off its old one in one upsert, its rows
//! in key order, so concurrent writers never wait on each other in a cycle; a key's row is
//! locked only from the upsert to the commit.

use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use diesel::RunQueryDsl;

use super::model::{Deal, DealFields, Totals};
use crate::forecast::model::{Grouping, Sums};

/// Where a deal counts. Absent values are '' (key columns are never NULL).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pipeline_id: String,
    stage_id: String,
    owner_id: String,
    status: String,
    forecast_category: String,
    currency: String,
    /// `YYYY-MM` of the close date.
    close_month: String,
}

/// A deal's key and amount.
pub struct Counted {
    key: Key,
    amount: i64,
}

impl Counted {
    pub fn of_fields(f: &DealFields) -> Self {
        Self::of(
            &f.pipeline_id,
            &f.stage_id,
            f.owner_id.as_deref(),
            &f.status,
            &f.forecast_category,
            f.currency.as_deref(),
            f.close_date.as_deref(),
            f.amount,
        )
    }

    pub fn of_out(d: &super::dto::DealOut) -> Self {
        Self::of(
            &d.pipeline_id,
            &d.stage_id,
            d.owner_id.as_deref(),
            d.status.as_str(),
            d.forecast_category.as_str(),
            d.amount.as_ref().map(|a| a.currency.as_str()),
            d.close_date.as_deref(),
            d.amount.as_ref().map(|a| a.amount),
        )
    }

    pub fn of_deal(d: &Deal) -> Self {
        Self::of(
            &d.pipeline_id,
            &d.stage_id,
            d.owner_id.as_deref(),
            &d.status,
            &d.forecast_category,
            d.currency.as_deref(),
            d.close_date.as_deref(),
            d.amount,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn of(
        pipeline: &str,
        stage: &str,
        owner: Option<&str>,
        status: &str,
        category: &str,
        currency: Option<&str>,
        close_date: Option<&str>,
        amount: Option<i64>,
    ) -> Self {
        Counted {
            key: Key {
                pipeline_id: pipeline.to_string(),
                stage_id: stage.to_string(),
                owner_id: owner.unwrap_or_default().to_string(),
                status: status.to_string(),
                forecast_category: category.to_string(),
                currency: currency.unwrap_or_default().to_string(),
                close_month: close_date.map(|d| d.chars().take(7).collect()).unwrap_or_default(),
            },
            amount: amount.unwrap_or(0),
        }
    }
}

/// The upsert moving a deal from `before` (none: it was not live) to `after` (none: it is
/// not live any more), its rows in key order (one statement takes them in that order, so
/// concurrent writers never wait on each other in a cycle); none when it stays where it counted.
pub fn change(org_id: &str, before: Option<Counted>, after: Option<Counted>) -> Option<Vec<Piece>> {
    let mut deltas: Vec<(Key, i64, i64)> = Vec::new();
    match (before, after) {
        (Some(b), Some(a)) if b.key == a.key => {
            if b.amount != a.amount {
                deltas.push((a.key, 0, a.amount - b.amount));
            }
        }
        (b, a) => {
            deltas.extend(b.map(|b| (b.key, -1, -b.amount)));
            deltas.extend(a.map(|a| (a.key, 1, a.amount)));
        }
    }
    deltas.sort_by(|x, y| x.0.cmp(&y.0));
    let rows = deltas
        .into_iter()
        .map(|(key, deals, amount)| {
            vec![
                Piece::Text(org_id.to_string()),
                Piece::Text(key.pipeline_id),
                Piece::Text(key.stage_id),
                Piece::Text(key.owner_id),
                Piece::Text(key.status),
                Piece::Text(key.forecast_category),
                Piece::Text(key.currency),
                Piece::Text(key.close_month),
                Piece::BigInt(deals),
                Piece::BigInt(amount),
            ]
        })
        .collect();
    let mut upsert = crm_core::sql::insert_values(
        "deal_totals",
        &[
            "org_id",
            "pipeline_id",
            "stage_id",
            "owner_id",
            "status",
            "forecast_category",
            "currency",
            "close_month",
            "deals",
            "amount",
        ],
        rows,
    )?;
    upsert.push(Piece::Sql(
        " ON CONFLICT (org_id, pipeline_id, stage_id, owner_id, status, forecast_category, currency, close_month) \
         DO UPDATE SET deals = deal_totals.deals + excluded.deals, amount = deal_totals.amount + excluded.amount"
            .into(),
    ));
    Some(upsert)
}

/// Runs [`change`] on the caller's connection.
pub fn apply(conn: &mut DbConnection, org_id: &str, before: Option<Counted>, after: Option<Counted>) -> ApiResult<()> {
    if let Some(upsert) = change(org_id, before, after) {
        Statement::new(upsert).execute(conn)?;
    }
    Ok(())
}

/// The open deals of a pipeline (of one owner) by stage and currency, as the board shows them.
pub fn board(
    conn: &mut DbConnection,
    scope: &Scope,
    pipeline_id: &str,
    owner_id: Option<&str>,
) -> ApiResult<Vec<Totals>> {
    let mut pieces = vec![
        Piece::Sql(
            "SELECT stage_id AS key, NULLIF(currency, '') AS currency, CAST(SUM(deals) AS BIGINT) AS count, \
             CAST(SUM(amount) AS BIGINT) AS amount FROM deal_totals WHERE org_id = "
                .into(),
        ),
        Piece::Text(scope.org_id().to_string()),
        Piece::Sql(" AND pipeline_id = ".into()),
        Piece::Text(pipeline_id.to_string()),
        Piece::Sql(" AND status = 'open'".into()),
    ];
    if let Some(owner) = owner_id {
        pieces.extend([Piece::Sql(" AND owner_id = ".into()), Piece::Text(owner.to_string())]);
    }
    pieces.push(Piece::Sql(" GROUP BY stage_id, currency HAVING SUM(deals) > 0".into()));
    Ok(Statement::new(pieces).load(conn)?)
}

/// [`crate::forecast::model::sums`] from the totals: the periods are whole months.
pub fn forecast(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    start: &str,
    end: &str,
    pipeline_id: Option<&str>,
    owner_id: Option<&str>,
) -> ApiResult<Vec<Sums>> {
    let sql = |s: &str| Piece::Sql(s.to_string());
    let text = |s: &str| Piece::Text(s.to_string());
    let key = match grouping {
        Grouping::None => "''",
        Grouping::Owner => "t.owner_id",
        Grouping::Pipeline => "t.pipeline_id",
        Grouping::Team => "tm.team_id",
    };
    let mut pieces = vec![Piece::Sql(format!(
        "SELECT {key} AS key, t.status AS status, t.forecast_category AS category, NULLIF(t.currency, '') AS currency, \
         CAST(SUM(t.deals) AS BIGINT) AS count, CAST(SUM(t.amount) AS BIGINT) AS amount, \
         CAST(SUM(t.amount * s.probability) AS BIGINT) AS weighted \
         FROM deal_totals t JOIN pipeline_stages s ON s.org_id = t.org_id AND s.id = t.stage_id"
    ))];
    if let Grouping::Team = grouping {
        pieces.push(sql(" JOIN team_members tm ON tm.org_id = t.org_id AND tm.user_id = t.owner_id"));
    }
    pieces.extend([
        sql(" WHERE t.org_id = "),
        text(scope.org_id()),
        sql(" AND t.status <> 'lost' AND t.close_month <> '' AND t.close_month >= "),
        text(&start[..7.min(start.len())]),
        sql(" AND t.close_month <= "),
        text(&end[..7.min(end.len())]),
    ]);
    if let Some(pipeline) = pipeline_id {
        pieces.extend([sql(" AND t.pipeline_id = "), text(pipeline)]);
    }
    if let Some(owner) = owner_id {
        pieces.extend([sql(" AND t.owner_id = "), text(owner)]);
    }
    let group = match grouping {
        Grouping::None => String::new(),
        _ => format!("{key}, "),
    };
    pieces.push(Piece::Sql(format!(
        " GROUP BY {group}t.status, t.forecast_category, t.currency HAVING SUM(t.deals) > 0"
    )));
    Ok(Statement::new(pieces).load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(stage: &str, owner: Option<&str>, amount: Option<i64>) -> Counted {
        Counted::of("pipe", stage, owner, "open", "pipeline", Some("USD"), Some("2026-11-20"), amount)
    }

    /// The `deals` and `amount` bound for each key of the upsert, in order.
    fn deltas(upsert: &Option<Vec<Piece>>) -> Vec<(String, i64, i64)> {
        let pieces = upsert.as_deref().unwrap_or_default();
        let texts: Vec<&str> =
            pieces.iter().filter_map(|p| if let Piece::Text(t) = p { Some(t.as_str()) } else { None }).collect();
        let ints: Vec<i64> =
            pieces.iter().filter_map(|p| if let Piece::BigInt(n) = p { Some(*n) } else { None }).collect();
        texts
            .chunks(8)
            .zip(ints.chunks(2))
            .map(|(key, counts)| (format!("{}/{}/{}", key[2], key[3], key[7]), counts[0], counts[1]))
            .collect()
    }

    #[test]
    fn a_move_takes_off_the_old_key_and_adds_to_the_new_in_key_order() {
        let moved = change(
            "org",
            Some(counted("stage_b", Some("ann"), Some(500))),
            Some(counted("stage_a", Some("ann"), Some(700))),
        );
        assert_eq!(deltas(&moved), [("stage_a/ann/2026-11".into(), 1, 700), ("stage_b/ann/2026-11".into(), -1, -500)]);
    }

    #[test]
    fn an_amount_change_in_place_is_one_delta_and_no_change_is_none() {
        let same = || counted("stage_a", None, Some(500));
        assert_eq!(
            deltas(&change("org", Some(same()), Some(counted("stage_a", None, Some(800))))),
            [("stage_a//2026-11".into(), 0, 300)]
        );
        assert!(change("org", Some(same()), Some(same())).is_none());
        assert_eq!(deltas(&change("org", Some(same()), None)), [("stage_a//2026-11".into(), -1, -500)]);
        assert_eq!(
            deltas(&change("org", None, Some(counted("stage_a", None, None)))),
            [("stage_a//2026-11".into(), 1, 0)]
        );
    }
}
