//! Business hours and SLA policies: targets from the first matching policy, the resolution
//! clock paused while pending, warnings and breaches announced once by the scan, escalation.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, events, id, ticket};

fn time(v: &Value) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().naive_utc()
}

/// Seconds from `a` to `b`.
fn seconds(a: &Value, b: &Value) -> i64 {
    (time(b) - time(a)).num_seconds()
}

/// Runs the SLA scan now and waits for its job to end.
async fn scan(app: &TestApp) {
    use crm_core::schema::jobs;
    use diesel::prelude::*;
    let queued = app.post("/v1/sla-policies/scan", &app.admin_key, json!({})).await;
    queued.expect(202);
    let job = queued.body["job_id"].as_str().unwrap().to_string();
    let start = Instant::now();
    loop {
        let status: String = jobs::table.find(&job).select(jobs::status).first(&mut *app.conn()).unwrap();
        if status == "succeeded" {
            return;
        }
        assert!(status != "failed" && start.elapsed() < Duration::from_secs(30), "the scan job is {status}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Moves a ticket's SLA times as if `by` had passed.
fn age(app: &TestApp, ticket: &str, columns: &[&str], by: i64) {
    use diesel::RunQueryDsl;
    for column in columns {
        let sql = match app.conn().backend() {
            crm_core::db::Backend::Postgres => {
                format!("UPDATE tickets SET {column} = {column} - INTERVAL '{by} seconds' WHERE id = '{ticket}'")
            }
            crm_core::db::Backend::Sqlite => {
                format!("UPDATE tickets SET {column} = datetime({column}, '-{by} seconds') WHERE id = '{ticket}'")
            }
        };
        diesel::sql_query(sql).execute(&mut *app.conn()).unwrap();
    }
}

async fn business_hours_are_checked_and_kept(app: TestApp) {
    let default = app.get("/v1/business-hours", &app.read_only_token).await;
    default.expect(200);
    assert_eq!((default.body["time_zone"].as_str(), default.body["version"].as_i64()), (Some("UTC"), Some(0)));
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    let hours = json!({"time_zone": "Europe/Berlin", "week": {"monday": day, "tuesday": day, "friday": [{"start": "13:00", "end": "24:00"}, {"start": "08:00", "end": "12:00"}]}, "holidays": ["2026-12-25", "2026-12-24", "2026-12-25"]});
    let set = app.put("/v1/business-hours", &app.admin_key, hours.clone()).await;
    set.expect(200);
    assert_eq!(set.body["version"], 1);
    assert_eq!(set.body["holidays"], json!(["2026-12-24", "2026-12-25"]));
    assert_eq!(set.body["week"]["saturday"], json!([]));
    let again = app.put("/v1/business-hours", &app.admin_key, hours.clone()).await;
    assert_eq!(again.body["version"], 1, "the same hours change nothing");
    for (body, pointer) in [
        (json!({"time_zone": "Mars/Olympus", "week": {}}), "/time_zone"),
        (json!({"time_zone": "UTC", "week": {"monday": [{"start": "17:00", "end": "09:00"}]}}), "/week/monday/0"),
        (json!({"time_zone": "UTC", "week": {"monday": [{"start": "25:00", "end": "26:00"}]}}), "/week/monday/0"),
        (
            json!({"time_zone": "UTC", "week": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}}),
            "/week/monday",
        ),
        (json!({"time_zone": "UTC", "week": {}, "holidays": ["christmas"]}), "/holidays"),
        (json!({"time_zone": "UTC", "week": {"someday": []}}), "/week"),
    ] {
        let reply = app.put("/v1/business-hours", &app.admin_key, body.clone()).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{body}: {}", reply.text);
    }
    app.put("/v1/business-hours", &app.sales_token, hours.clone()).await.expect(403);
    let stale = app
        .send(app.client.put(app.url("/v1/business-hours")).header("if-match", "\"0\"").json(&hours), &app.admin_key)
        .await;
    stale.expect(412);
    assert_eq!(app.get("/v1/business-hours", &app.admin_key).await.body["time_zone"], "Europe/Berlin");
    assert_eq!(app.get("/v1/business-hours", &app.other_org_key).await.body["version"], 0, "their own, unset");
    assert_eq!(events(&app, "business_hours.updated").await.len(), 1);
}

async fn policies_set_targets_pause_and_announce_once(app: TestApp) {
    let team =
        app.post("/v1/teams", &app.admin_key, json!({"name": "Escalations", "member_ids": [app.admin_id]})).await;
    team.expect(201);
    let team = id(&team.body);
    let urgent = json!({
        "name": "High and urgent", "position": 1, "filter": {"field": "priority", "op": "in", "value": ["high", "urgent"]},
        "first_response_minutes": 60, "resolution_minutes": 240, "clock": "calendar", "warn_before_minutes": 30,
        "escalation": {"raise_priority": true, "team_id": team}
    });
    let created = app.post("/v1/sla-policies", &app.admin_key, urgent).await;
    created.expect(201);
    let urgent_id = id(&created.body);
    let rest = app
        .post(
            "/v1/sla-policies",
            &app.admin_key,
            json!({"name": "Everything", "position": 2, "resolution_minutes": 480, "clock": "calendar"}),
        )
        .await;
    rest.expect(201);
    for (body, pointer) in [
        (json!({"name": "No targets"}), "/resolution_minutes"),
        (
            json!({"name": "Bad filter", "resolution_minutes": 5, "filter": {"field": "nope", "op": "eq", "value": 1}}),
            "/filter",
        ),
        (
            json!({"name": "Bad team", "resolution_minutes": 5, "escalation": {"team_id": "team_nope"}}),
            "/escalation/team_id",
        ),
        (json!({"name": "Too long", "resolution_minutes": 0}), "/resolution_minutes"),
    ] {
        let reply = app.post("/v1/sla-policies", &app.admin_key, body.clone()).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{body}: {}", reply.text);
    }
    app.post("/v1/sla-policies", &app.sales_token, json!({"name": "X", "resolution_minutes": 5})).await.expect(403);
    app.get(&format!("/v1/sla-policies/{urgent_id}"), &app.other_org_key).await.expect(404);
    let listed = app.get("/v1/sla-policies", &app.sales_token).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);

    // A normal ticket falls to the second policy; a high one to the first.
    let normal = ticket(&app, "Where is my invoice?", None).await;
    assert_eq!(normal["sla"]["policy_id"], id(&rest.body).as_str());
    assert_eq!(normal["sla"]["first_response"], Value::Null);
    assert_eq!(seconds(&normal["created_at"], &normal["sla"]["resolution"]["due_at"]) / 60, 480);
    let high = app
        .post(
            "/v1/tickets",
            &app.sales_token,
            json!({"subject": "Production is down", "priority": "high", "assignee_id": app.sales_id}),
        )
        .await;
    high.expect(201);
    let high_id = id(&high.body);
    let sla = &high.body["sla"];
    assert_eq!(sla["policy_id"], urgent_id.as_str());
    assert_eq!(seconds(&high.body["created_at"], &sla["first_response"]["due_at"]) / 60, 60);
    assert_eq!(
        (sla["first_response"]["status"].as_str(), sla["resolution"]["status"].as_str()),
        (Some("active"), Some("active"))
    );

    // Pending pauses the resolution clock; an hour pending moves its due time an hour on.
    let url = format!("/v1/tickets/{high_id}");
    let paused = app.patch(&url, &app.sales_token, json!({"status": "pending"})).await;
    paused.expect(200);
    assert_eq!(paused.body["sla"]["resolution"]["status"], "paused");
    let due_before = paused.body["sla"]["resolution"]["due_at"].clone();
    age(&app, &high_id, &["sla_paused_at"], 3600);
    let resumed = app.patch(&url, &app.sales_token, json!({"status": "open"})).await;
    resumed.expect(200);
    assert_eq!(resumed.body["sla"]["resolution"]["status"], "active");
    let moved = seconds(&due_before, &resumed.body["sla"]["resolution"]["due_at"]);
    assert!((3599..=3602).contains(&moved), "moved {moved} s");

    // Nothing is due: the scan announces nothing.
    scan(&app).await;
    assert!(events(&app, "ticket.sla_warning,ticket.sla_breached").await.is_empty());

    // The first response is 40 minutes late: the breach is announced once and escalated.
    age(&app, &high_id, &["first_response_due_at", "sla_next_check_at"], 100 * 60);
    scan(&app).await;
    scan(&app).await;
    let announced = events(&app, "ticket.sla_warning,ticket.sla_breached").await;
    assert_eq!(announced, [("ticket.sla_breached".to_string(), high_id.clone())]);
    let escalated = app.get(&url, &app.admin_key).await;
    assert_eq!(escalated.body["priority"], "urgent");
    assert_eq!(
        (escalated.body["team_id"].as_str(), escalated.body["assignee_id"].as_str()),
        (Some(team.as_str()), None)
    );
    assert_eq!(escalated.body["sla"]["first_response"]["status"], "breached");

    // The resolution comes within its warning: warned once.
    let due = time(&escalated.body["sla"]["resolution"]["due_at"]);
    let left = (due - crm_core::time::now()).num_seconds() - 20 * 60;
    age(&app, &high_id, &["resolution_due_at", "sla_next_check_at"], left);
    scan(&app).await;
    scan(&app).await;
    let announced = events(&app, "ticket.sla_warning,ticket.sla_breached").await;
    assert_eq!(announced.len(), 2, "{announced:?}");
    assert_eq!(announced[1], ("ticket.sla_warning".to_string(), high_id.clone()));

    // Answered and solved in time: met.
    let answered =
        app.post(&format!("{url}/comments"), &app.admin_key, json!({"body": "Fixed.", "status": "solved"})).await;
    answered.expect(201);
    assert_eq!(answered.body["ticket"]["sla"]["resolution"]["status"], "met");
    assert_eq!(answered.body["ticket"]["sla"]["first_response"]["status"], "breached", "too late is too late");
}

async fn an_agents_queue_puts_the_soonest_due_first(app: TestApp) {
    let urgent = json!({"name": "Urgent", "position": 1, "filter": {"field": "priority", "op": "eq", "value": "urgent"}, "resolution_minutes": 60, "clock": "calendar"});
    app.post("/v1/sla-policies", &app.admin_key, urgent).await.expect(201);
    let email = json!({"name": "E-mail", "position": 2, "filter": {"field": "channel", "op": "eq", "value": "email"}, "resolution_minutes": 480, "clock": "calendar"});
    app.post("/v1/sla-policies", &app.admin_key, email).await.expect(201);
    let create = |subject: &str, extra: Value| {
        let mut body = json!({"subject": subject, "assignee_id": app.sales_id});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let app = &app;
        async move { id(&app.post("/v1/tickets", &app.admin_key, body).await.expect(201).body) }
    };
    let no_sla = create("No target", json!({"channel": "phone"})).await;
    let later = create("Due in 8 hours", json!({"channel": "email"})).await;
    let soon = create("Due in an hour", json!({"priority": "urgent"})).await;
    let solved = create("Solved", json!({"priority": "urgent", "status": "solved"})).await;
    let theirs = app
        .post(
            "/v1/tickets",
            &app.admin_key,
            json!({"subject": "Someone else's", "priority": "urgent", "assignee_id": app.admin_id}),
        )
        .await;
    let queue = app.get("/v1/tickets/queue", &app.sales_token).await;
    queue.expect(200);
    let ids: Vec<&str> = queue.body.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [soon.as_str(), later.as_str(), no_sla.as_str()], "the solved and someone else's stay out");
    assert!(!ids.contains(&solved.as_str()));
    let theirs_queue = app.get(&format!("/v1/tickets/queue?assignee_id={}", app.admin_id), &app.sales_token).await;
    assert_eq!(theirs_queue.body[0]["id"], theirs.body["id"]);
    let top = app.get("/v1/tickets/queue?limit=1", &app.sales_token).await;
    assert_eq!(top.body.as_array().unwrap().len(), 1);
    app.get("/v1/tickets/queue?limit=0", &app.sales_token).await.expect(400);
    assert_eq!(app.get("/v1/tickets/queue", &app.other_org_key).await.body, json!([]));
}

both!(
    business_hours_are_checked_and_kept,
    policies_set_targets_pause_and_announce_once,
    an_agents_queue_puts_the_soonest_due_first,
    settings_take_concurrent_writers_in_turn,
);

/// Settings of one row per organization (or per team), written by eight writers at once:
/// every change lands, one version and one event each.
async fn settings_take_concurrent_writers_in_turn(app: TestApp) {
    let zones = [
        "UTC",
        "Europe/Berlin",
        "Europe/Paris",
        "America/New_York",
        "Asia/Tokyo",
        "Europe/Madrid",
        "Australia/Sydney",
        "America/Chicago",
    ];
    let writes = |path: &'static str, bodies: Vec<Value>| {
        let app = &app;
        futures_util::future::join_all(
            bodies.into_iter().map(move |body| async move { app.put(path, &app.admin_key, body).await }),
        )
    };
    let hours: Vec<Value> = zones
        .iter()
        .map(|z| json!({"time_zone": z, "week": {"monday": [{"start": "09:00", "end": "17:00"}]}}))
        .collect();
    let health: Vec<Value> = (1..=8)
        .map(
            |i| json!({"weights": {"ticket_trend": 10, "csat": i, "nps": 10, "engagement": 10, "overdue_invoices": 0}}),
        )
        .collect();
    let sites: Vec<Value> = (1..=8).map(|i| json!({"slug": "acme-help", "name": format!("Acme Help {i}")})).collect();
    for (path, bodies, event) in [
        ("/v1/business-hours", hours, "business_hours.updated"),
        ("/v1/health-settings", health, "health_settings.updated"),
        ("/v1/knowledge-base/site", sites, "kb_site.updated"),
    ] {
        for reply in writes(path, bodies).await {
            reply.expect(200);
        }
        let now = app.get(path, &app.admin_key).await;
        assert_eq!(now.body["version"], 8, "{path}: {}", now.text);
        assert_eq!(events(&app, event).await.len(), 8, "{path}");
    }
    let team = app.post("/v1/teams", &app.admin_key, json!({"name": "Support", "member_ids": [app.sales_id]})).await;
    let url = format!("/v1/teams/{}/ticket-routing", id(&team.body));
    let methods =
        ["round_robin", "least_open", "manual", "round_robin", "least_open", "manual", "round_robin", "least_open"];
    let replies = futures_util::future::join_all(methods.iter().map(|m| {
        let (app, url) = (&app, &url);
        async move { app.put(url, &app.admin_key, json!({"method": m})).await }
    }))
    .await;
    for reply in &replies {
        reply.expect(200);
    }
    let routing = app.get(&url, &app.admin_key).await;
    let changes = events(&app, "ticket_routing.updated").await.len() as i64;
    assert_eq!(routing.body["version"].as_i64(), Some(changes), "one version per change: {}", routing.text);
}
