//! Customer health: a company's score from its weighted components, recomputed on change and
//! on demand, with the components shown and the weights the organization's.

use std::time::{Duration, Instant};

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, contact, id};

fn component<'a>(health: &'a Value, name: &str) -> &'a Value {
    health["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

async fn health_weighs_its_components(app: TestApp) {
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Analytical Engines"})).await;
    let company = id(&company.body);
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    app.put(&format!("/v1/contacts/{ada}/companies/{company}"), &app.admin_key, json!({})).await.expect(200);
    let url = format!("/v1/companies/{company}/health");

    let quiet = app.get(&url, &app.read_only_token).await;
    quiet.expect(200);
    assert_eq!(component(&quiet.body, "ticket_trend")["score"], 100, "no tickets, no trouble");
    assert_eq!(component(&quiet.body, "csat")["score"], Value::Null);
    assert_eq!(component(&quiet.body, "overdue_invoices")["detail"]["reason"], "no accounting data");
    assert_eq!((quiet.body["score"].as_i64(), quiet.body["band"].as_str()), (Some(100), Some("healthy")));

    // Three tickets this month, none the month before: the trend is bad; the last ticket is
    // fresh engagement. Creating them queues the company's recomputation.
    let mut tickets = Vec::new();
    for i in 0..3 {
        let t = app
            .post(
                "/v1/tickets",
                &app.sales_token,
                json!({"subject": format!("Problem {i}"), "company_id": company, "requester_id": ada}),
            )
            .await;
        tickets.push(id(&t.body));
    }
    let start = Instant::now();
    while app.count("company_health") == 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "the recomputation job never ran");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // Solved and rated 4 from the portal.
    app.patch(&format!("/v1/tickets/{}", tickets[0]), &app.sales_token, json!({"status": "solved"})).await.expect(200);
    let token = app.post("/v1/customer-tokens", &app.admin_key, json!({"contact_id": ada})).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    app.put(&format!("/v1/portal/tickets/{}/rating", tickets[0]), &token, json!({"score": 4})).await.expect(200);

    app.post(&format!("{url}/recompute"), &app.read_only_token, json!({})).await.expect(403);
    let health = app.post(&format!("{url}/recompute"), &app.sales_token, json!({})).await;
    health.expect(200);
    let h = &health.body;
    assert_eq!(component(h, "ticket_trend")["detail"], json!({"last_30_days": 3, "previous_30_days": 0}));
    assert_eq!(component(h, "ticket_trend")["score"], 0);
    assert_eq!(component(h, "csat")["score"], 75);
    assert_eq!(component(h, "engagement")["score"], 100);
    assert_eq!(component(h, "nps")["score"], Value::Null);
    // (25 × 0 + 25 × 75 + 30 × 100) / 80 = 60.9
    assert_eq!((h["score"].as_i64(), h["band"].as_str()), (Some(61), Some("at_risk")));
    assert_eq!(app.get(&url, &app.admin_key).await.body["score"], 61, "kept");

    // The organization's weights: only satisfaction and engagement.
    app.put(
        "/v1/health-settings",
        &app.sales_token,
        json!({"weights": {"ticket_trend": 0, "csat": 50, "nps": 0, "engagement": 50, "overdue_invoices": 0}}),
    )
    .await
    .expect(403);
    app.put(
        "/v1/health-settings",
        &app.admin_key,
        json!({"weights": {"ticket_trend": 0, "csat": 0, "nps": 0, "engagement": 0, "overdue_invoices": 0}}),
    )
    .await
    .expect(422);
    app.put(
        "/v1/health-settings",
        &app.admin_key,
        json!({"weights": {"ticket_trend": 0, "csat": 150, "nps": 0, "engagement": 50, "overdue_invoices": 0}}),
    )
    .await
    .expect(422);
    let set = app
        .put(
            "/v1/health-settings",
            &app.admin_key,
            json!({"weights": {"ticket_trend": 0, "csat": 50, "nps": 0, "engagement": 50, "overdue_invoices": 0}}),
        )
        .await;
    set.expect(200);
    assert_eq!(set.body["version"], 1);
    let reweighed = app.post(&format!("{url}/recompute"), &app.admin_key, json!({})).await;
    assert_eq!((reweighed.body["score"].as_i64(), reweighed.body["band"].as_str()), (Some(88), Some("healthy")));

    app.get(&url, &app.other_org_key).await.expect(404);
    app.get("/v1/companies/co_nope/health", &app.admin_key).await.expect(404);
}

both!(health_weighs_its_components);
