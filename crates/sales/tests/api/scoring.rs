//! Lead scoring: field and activity rules, decay, the explained score, and the stored score
//! kept up by lead writes and the rescore job.

use std::time::Duration;

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, id};

async fn call_about(app: &TestApp, lead: &str, days_ago: i64) {
    let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let body = json!({"kind": "call", "subject": "Call", "direction": "outbound", "occurred_at": at.to_rfc3339(), "about": [{"record_type": "lead", "id": lead}]});
    app.post("/v1/activities", &app.sales_token, body).await.expect(201);
}

async fn leads_are_scored_and_explained(app: TestApp) {
    let rule = |body: Value| app.post("/v1/lead-scoring-rules", &app.admin_key, body);
    for (bad, pointer) in [
        (json!({"name": "x", "kind": "field", "points": 5}), "/filter"),
        (
            json!({"name": "x", "kind": "field", "points": 5, "filter": {"field": "shoe_size", "op": "eq", "value": 1}}),
            "/filter/field",
        ),
        (json!({"name": "x", "kind": "activity", "points": 5}), "/window_days"),
        (
            json!({"name": "x", "kind": "field", "points": 5, "filter": {"field": "job_title", "op": "is_set", "value": true}, "decay_days": 3}),
            "/decay_days",
        ),
        (json!({"name": "x", "kind": "activity", "points": 5000, "window_days": 3}), "/points"),
    ] {
        let reply = rule(bad).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{pointer}: {}", reply.text);
    }
    app.post(
        "/v1/lead-scoring-rules",
        &app.sales_token,
        json!({"name": "x", "kind": "activity", "points": 5, "window_days": 3}),
    )
    .await
    .expect(403);
    let executive = rule(json!({"name": "Executive", "kind": "field", "points": 20, "filter": {"field": "job_title", "op": "contains", "value": "cto"}})).await;
    executive.expect(201);
    rule(json!({"name": "Budget", "kind": "field", "points": 10, "filter": {"field": "budget_amount", "op": "gte", "value": 1000000}})).await.expect(201);
    let engaged = rule(json!({"name": "Engaged", "kind": "activity", "activity_kind": "call", "window_days": 30, "min_count": 2, "points": 15, "decay_days": 14})).await;
    engaged.expect(201);

    // Field rules score on the lead's own write.
    let created = app
        .post(
            "/v1/leads",
            &app.sales_token,
            json!({"last_name": "Hopper", "job_title": "CTO", "budget": {"amount": 5000000, "currency": "USD"}}),
        )
        .await;
    created.expect(201);
    assert_eq!(created.body["score"], 30);
    let lead = id(&created.body);
    let demoted = app.patch(&format!("/v1/leads/{lead}"), &app.sales_token, json!({"job_title": "Engineer"})).await;
    assert_eq!(demoted.body["score"], 10);
    app.patch(&format!("/v1/leads/{lead}"), &app.sales_token, json!({"job_title": "CTO"})).await.expect(200);

    // Two calls: the activity rule fires, explained; one call is not enough.
    call_about(&app, &lead, 0).await;
    let explained = app.get(&format!("/v1/leads/{lead}/score"), &app.read_only_token).await;
    explained.expect(200);
    assert_eq!(explained.body["score"], 30);
    call_about(&app, &lead, 0).await;
    let explained = app.get(&format!("/v1/leads/{lead}/score"), &app.read_only_token).await;
    assert_eq!(explained.body["score"], 45, "{}", explained.text);
    let names: Vec<&str> =
        explained.body["rules"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Executive", "Budget", "Engaged"]);
    assert!(
        explained.body["rules"][2]["detail"].as_str().unwrap().starts_with("2 call activities in 30 days"),
        "{}",
        explained.text
    );

    // Calls 14 days old score half (a 14-day half-life), rounded.
    let older = id(&app.post("/v1/leads", &app.sales_token, json!({"last_name": "Lovelace"})).await.body);
    call_about(&app, &older, 14).await;
    call_about(&app, &older, 14).await;
    let explained = app.get(&format!("/v1/leads/{older}/score"), &app.admin_key).await;
    assert_eq!(explained.body["rules"][0]["points"], 8, "{}", explained.text);
    assert_eq!(explained.body["rules"][0]["base_points"], 15);

    // A rule change rescores every lead by a job; the stored scores follow.
    let url = format!("/v1/lead-scoring-rules/{}", id(&engaged.body));
    app.patch(&url, &app.admin_key, json!({"points": 16})).await.expect(200);
    let mut stored = Value::Null;
    for _ in 0..100 {
        stored = app.get(&format!("/v1/leads/{lead}"), &app.admin_key).await.body["score"].clone();
        if stored == 46 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored, 46, "the rescore job stores what the rules give");
    app.get(&format!("/v1/leads/{lead}/score"), &app.other_org_key).await.expect(404);
    app.delete(&format!("/v1/lead-scoring-rules/{}", id(&executive.body)), &app.admin_key).await.expect(204);
    let explained = app.get(&format!("/v1/leads/{lead}/score"), &app.admin_key).await;
    assert_eq!(explained.body["score"], 26);
}

both!(leads_are_scored_and_explained);
