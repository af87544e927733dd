//! The sales domain tested through HTTP, every scenario on SQLite and on PostgreSQL, with the
//! shared harness (`crates/test-support`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub use crm_test_support::both;

mod assignment;
mod dataset;
mod deals;
mod forecasts;
mod leads;
mod pipelines;
mod quotes;
mod scoring;
mod territories;

use crm_test_support::TestApp;
use serde_json::{Value, json};

/// A pipeline with stages Lead (10%), Demo (40%), Proposal (70%), Won, Lost: its id and its
/// stage ids in that order.
pub async fn pipeline(app: &TestApp, name: &str) -> (String, Vec<String>) {
    let body = json!({"name": name, "stages": [
        {"name": "Lead", "probability": 10}, {"name": "Demo", "probability": 40},
        {"name": "Proposal", "probability": 70}, {"name": "Won", "kind": "won"}, {"name": "Lost", "kind": "lost"}
    ]});
    let created = app.post("/v1/pipelines", &app.admin_key, body).await;
    created.expect(201);
    let stages = created.body["stages"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string());
    (created.body["id"].as_str().unwrap().to_string(), stages.collect())
}

/// The types and object ids of the organization's events of these types, in order.
pub async fn events(app: &TestApp, types: &str) -> Vec<(String, String)> {
    let feed = app.get(&format!("/v1/events?after=0&limit=1000&types={types}"), &app.admin_key).await;
    feed.expect(200);
    feed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().expect(&feed.text).to_string(),
                e["data"]["object"]["id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

pub fn id(body: &Value) -> String {
    body["id"].as_str().unwrap_or_else(|| panic!("no id in {body}")).to_string()
}

#[derive(diesel::QueryableByName)]
struct TotalsRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    row: String,
}

/// The running deal totals agree with the live deals, row for row.
pub fn assert_totals_match(app: &TestApp) {
    use diesel::RunQueryDsl;
    let load = |sql: &str| -> Vec<String> {
        let mut rows: Vec<String> =
            diesel::sql_query(sql).load::<TotalsRow>(&mut *app.conn()).unwrap().into_iter().map(|r| r.row).collect();
        rows.sort();
        rows
    };
    let kept = load(
        "SELECT pipeline_id || '|' || stage_id || '|' || owner_id || '|' || status || '|' || forecast_category || '|' \
         || currency || '|' || close_month || '|' || CAST(deals AS TEXT) || '|' || CAST(amount AS TEXT) AS row \
         FROM deal_totals WHERE deals <> 0 OR amount <> 0",
    );
    let month = match app.conn().backend() {
        crm_core::db::Backend::Postgres => "COALESCE(SUBSTRING(close_date FROM 1 FOR 7), '')",
        crm_core::db::Backend::Sqlite => "COALESCE(SUBSTR(close_date, 1, 7), '')",
    };
    let actual = load(&format!(
        "SELECT pipeline_id || '|' || stage_id || '|' || COALESCE(owner_id, '') || '|' || status || '|' \
         || forecast_category || '|' || COALESCE(currency, '') || '|' || {month} || '|' || CAST(COUNT(*) AS TEXT) \
         || '|' || CAST(COALESCE(SUM(amount), 0) AS TEXT) AS row FROM deals WHERE deleted_at IS NULL \
         GROUP BY pipeline_id, stage_id, owner_id, status, forecast_category, currency, {month}"
    ));
    assert_eq!(kept, actual, "the deal totals drifted from the deals");
}
