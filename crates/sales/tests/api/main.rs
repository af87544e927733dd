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
