//! The service domain tested through HTTP, every scenario on SQLite and on PostgreSQL, with the
//! shared harness (`crates/test-support`); e-mail against a real SMTP server the tests start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub use crm_test_support::both;

mod comments;
mod health;
mod inbound;
mod kb;
mod kpis;
mod portal;
mod slas;
mod surveys;
mod tickets;

use crm_test_support::TestApp;
use serde_json::{Value, json};

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

/// A contact with this e-mail: its id.
pub async fn contact(app: &TestApp, first: &str, last: &str, email: &str) -> String {
    let body = json!({"first_name": first, "last_name": last, "emails": [{"address": email}]});
    let created = app.post("/v1/contacts", &app.admin_key, body).await;
    created.expect(201);
    id(&created.body)
}

/// A ticket from this requester: its body.
pub async fn ticket(app: &TestApp, subject: &str, requester: Option<&str>) -> Value {
    let created =
        app.post("/v1/tickets", &app.sales_token, json!({"subject": subject, "requester_id": requester})).await;
    created.expect(201);
    created.body.clone()
}
