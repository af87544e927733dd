//! Service KPIs through HTTP: volume, response and resolution times, first-contact resolution,
//! reopens, SLA attainment and the backlog, of the tickets the caller sees.

use crm_test_support::TestApp;
use serde_json::json;

use crate::{both, id};

/// Sets `column` to `base` plus `seconds` on a ticket (times the test decides).
fn shift(app: &TestApp, ticket: &str, column: &str, base: &str, seconds: i64) {
    use diesel::RunQueryDsl;
    let sql = match app.conn().backend() {
        crm_core::db::Backend::Postgres => {
            format!("UPDATE tickets SET {column} = {base} + INTERVAL '{seconds} seconds' WHERE id = '{ticket}'")
        }
        crm_core::db::Backend::Sqlite => {
            format!("UPDATE tickets SET {column} = datetime({base}, '+{seconds} seconds') WHERE id = '{ticket}'")
        }
    };
    diesel::sql_query(sql).execute(&mut *app.conn()).unwrap();
}

async fn kpis_count_what_happened(app: TestApp) {
    let policy = json!({"name": "All", "first_response_minutes": 60, "resolution_minutes": 600, "clock": "calendar"});
    app.post("/v1/sla-policies", &app.admin_key, policy).await.expect(201);
    let mut ids = Vec::new();
    for channel in ["email", "phone", "api", "web"] {
        let t = app
            .post("/v1/tickets", &app.sales_token, json!({"subject": format!("Via {channel}"), "channel": channel}))
            .await;
        t.expect(201);
        ids.push(id(&t.body));
    }
    let reply = |i: usize, status: Option<&str>| {
        let (app, url) = (&app, format!("/v1/tickets/{}/comments", ids[i]));
        let body = match status {
            Some(s) => json!({"body": "Answer", "status": s}),
            None => json!({"body": "Answer"}),
        };
        async move { app.post(&url, &app.sales_token, body).await.expect(201).body.clone() }
    };
    // The first: answered once and solved (first contact). The second: answered twice,
    // solved, reopened, solved again.
    reply(0, Some("solved")).await;
    reply(1, None).await;
    reply(1, Some("solved")).await;
    reply(1, None).await;
    app.patch(&format!("/v1/tickets/{}", ids[1]), &app.sales_token, json!({"status": "solved"})).await.expect(200);
    app.patch(&format!("/v1/tickets/{}", ids[3]), &app.sales_token, json!({"status": "pending"})).await.expect(200);
    // First responses 30 and 90 minutes after creation: one met, one breached.
    shift(&app, &ids[0], "first_responded_at", "created_at", 30 * 60);
    shift(&app, &ids[1], "first_responded_at", "created_at", 90 * 60);
    shift(&app, &ids[0], "solved_at", "created_at", 120 * 60);
    shift(&app, &ids[1], "solved_at", "created_at", 240 * 60);

    let kpis = app.get("/v1/service/kpis", &app.read_only_token).await;
    kpis.expect(200);
    let k = &kpis.body;
    assert_eq!(k["tickets_created"], 4);
    assert_eq!(k["by_channel"], json!({"api": 1, "email": 1, "phone": 1, "web": 1}));
    let volume: i64 = k["volume"].as_array().unwrap().iter().map(|b| b["tickets"].as_i64().unwrap()).sum();
    assert_eq!(volume, 4);
    assert_eq!(k["volume"].as_array().unwrap().len(), 30, "a bucket for each day");
    assert_eq!(k["first_response"]["count"], 2);
    assert_eq!(k["first_response"]["average_minutes"], 60.0);
    assert_eq!(k["first_response"]["median_minutes"], 60.0);
    assert_eq!(k["first_response"]["average_business_minutes"], 60.0, "no business hours: calendar time");
    assert_eq!(k["resolution"]["median_minutes"], 180.0);
    assert_eq!(k["solved"], 2);
    assert_eq!(k["first_contact_resolution_rate"], 0.5);
    assert_eq!(k["reopen_rate"], 0.5);
    assert_eq!(k["sla"]["first_response"], json!({"met": 1, "breached": 1, "rate": 0.5}));
    assert_eq!(k["sla"]["resolution"], json!({"met": 2, "breached": 0, "rate": 1.0}));
    assert_eq!(k["backlog"]["total"], 2);
    assert_eq!(k["backlog"]["by_status"], json!({"new": 1, "on_hold": 0, "open": 0, "pending": 1}));
    assert_eq!(k["backlog"]["by_age"]["under_1_day"], 2);

    let monthly = app.get("/v1/service/kpis?from=2026-01-01&to=2027-01-01&interval=month", &app.admin_key).await;
    monthly.expect(200);
    assert_eq!(monthly.body["volume"].as_array().unwrap().len(), 12);
    app.get("/v1/service/kpis?from=2026-12-01&to=2026-11-01", &app.admin_key).await.expect(422);
    app.get("/v1/service/kpis?from=2024-01-01&to=2026-01-01", &app.admin_key).await.expect(422);
    app.get("/v1/service/kpis?interval=hour", &app.admin_key).await.expect(400);
    let theirs = app.get("/v1/service/kpis", &app.other_org_key).await;
    assert_eq!((theirs.body["tickets_created"].as_i64(), theirs.body["backlog"]["total"].as_i64()), (Some(0), Some(0)));
}

both!(kpis_count_what_happened);
