//! The shape of each resource's main responses, pinned with `insta` (ids and times redacted).
//! Both databases must give the same snapshot.

use serde_json::{Value, json};

use crate::both;
use crate::support::{TestApp, redacted};

both!(resource_shapes);

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let reply = app.post(path, &app.admin_key, body).await;
    reply.expect(201);
    reply.body
}

async fn resource_shapes(app: TestApp) {
    let company = created(
        &app,
        "/v1/companies",
        json!({"name": "Acme Corp", "domain": "https://www.acme.example", "industry": "Manufacturing",
               "employee_count": 250, "tags": ["key account"], "external_ids": {"erp": "C-1001"}}),
    )
    .await;
    let contact = created(
        &app,
        "/v1/contacts",
        json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "Ada@Example.com"}],
               "phones": [{"number": "+44 20 7946 0958", "type": "work"}], "job_title": "Engineer",
               "lifecycle_stage": "customer", "tags": ["vip"], "external_ids": {"shopify": "123"}}),
    )
    .await;
    let contact_id = contact["id"].as_str().unwrap();
    let activity = created(
        &app,
        "/v1/activities",
        json!({"kind": "call", "subject": "Renewal call", "direction": "outbound", "duration_seconds": 300,
               "outcome": "connected", "contact_ids": [contact_id]}),
    )
    .await;
    let newsletter = created(&app, "/v1/subscription-types", json!({"name": "Newsletter"})).await;

    insta::assert_json_snapshot!("company", redacted(&company));
    insta::assert_json_snapshot!("contact", redacted(&contact));
    insta::assert_json_snapshot!("activity", redacted(&activity));
    insta::assert_json_snapshot!("subscription_type", redacted(&newsletter));

    let page = app.get("/v1/contacts?limit=1", &app.admin_key).await;
    page.expect(200);
    insta::assert_json_snapshot!("contacts_page", redacted(&page.body));
    let missing = app.get("/v1/contacts/con_01jbz3m3x7f6ks6q0vd1tq2n5a", &app.admin_key).await;
    missing.expect(404);
    insta::assert_json_snapshot!("not_found_problem", redacted(&missing.body));
}
