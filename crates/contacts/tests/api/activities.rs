//! Activities, and the timelines and histories they feed.

use serde_json::json;

use crate::both;
use crate::support::TestApp;

both!(activities_by_kind, activity_validation_and_tenancy, timeline_and_history);

async fn setup(app: &TestApp) -> (String, String) {
    let contact = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Tia"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Tia's Co"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    (contact, company)
}

async fn activities_by_kind(app: TestApp) {
    let (contact, company) = setup(&app).await;
    let note = app
        .post(
            "/v1/activities",
            &app.sales_token,
            json!({"kind": "note", "body": "Met at the fair.", "contact_ids": [contact], "company_ids": [company]}),
        )
        .await;
    note.expect(201);
    assert!(note.body["id"].as_str().unwrap().starts_with("act_"));
    assert_eq!(note.body["contact_ids"], json!([contact]));
    assert_eq!(note.body["company_ids"], json!([company]));
    assert_eq!(note.body["created_by"], app.sales_id.as_str());
    assert!(note.body["status"].is_null(), "only tasks have a status");
    // A create answers what is stored (built from what it writes, not read back).
    let stored = |reply: &crate::support::Reply| format!("/v1/activities/{}", reply.body["id"].as_str().unwrap());
    assert_eq!(app.get(&stored(&note), &app.sales_token).await.body, note.body);

    let task = app
        .post("/v1/activities", &app.admin_key, json!({"kind": "task", "subject": "Send quote", "due_at": "2030-01-02T09:00:00Z", "assignee_id": app.sales_id, "contact_ids": [contact]}))
        .await;
    task.expect(201);
    assert_eq!(task.body["status"], "open");
    let task_id = task.body["id"].as_str().unwrap().to_string();
    app.post(
        "/v1/activities",
        &app.admin_key,
        json!({"kind": "task", "subject": "Earlier", "due_at": "2029-01-01T09:00:00Z", "contact_ids": [contact]}),
    )
    .await
    .expect(201);
    app.post("/v1/activities", &app.admin_key, json!({"kind": "call", "direction": "outbound", "duration_seconds": 300, "outcome": "voicemail", "occurred_at": "2026-01-01T10:00:00Z", "contact_ids": [contact]}))
        .await
        .expect(201);
    let meeting = app.post("/v1/activities", &app.admin_key, json!({"kind": "meeting", "starts_at": "2030-03-01T10:00:00Z", "ends_at": "2030-03-01T11:00:00Z", "attendees": ["tia@example.com"], "company_ids": [company]}))
        .await;
    meeting.expect(201);
    assert_eq!(app.get(&stored(&meeting), &app.admin_key).await.body, meeting.body);
    app.post("/v1/activities", &app.admin_key, json!({"kind": "email", "subject": "Hello", "direction": "inbound", "message_id": "<abc@mail>", "contact_ids": [contact]}))
        .await
        .expect(201);

    let done = app.patch(&format!("/v1/activities/{task_id}"), &app.admin_key, json!({"status": "done"})).await;
    done.expect(200);
    assert_eq!(done.body["status"], "done");
    assert_eq!(done.body["subject"], "Send quote");

    let about_contact = app.get(&format!("/v1/activities?contact_id={contact}"), &app.admin_key).await;
    assert_eq!(about_contact.body["data"].as_array().unwrap().len(), 5);
    let about_company = app.get(&format!("/v1/activities?company_id={company}"), &app.admin_key).await;
    assert_eq!(about_company.body["data"].as_array().unwrap().len(), 2);
    // Both filters: only the note is about the contact and the company.
    let about_both =
        app.get(&format!("/v1/activities?contact_id={contact}&company_id={company}"), &app.admin_key).await;
    about_both.expect(200);
    assert_eq!(about_both.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(about_both.body["data"][0]["kind"], "note");
    let open_tasks = app.get("/v1/activities?kind=task&status=open", &app.admin_key).await;
    assert_eq!(open_tasks.body["data"].as_array().unwrap().len(), 1);
    let by_due = app.get("/v1/activities?sort=due_at", &app.admin_key).await;
    let subjects: Vec<&str> =
        by_due.body["data"].as_array().unwrap().iter().map(|a| a["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["Earlier", "Send quote"]);
    let mine = app.get(&format!("/v1/activities?assignee_id={}", app.sales_id), &app.admin_key).await;
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);

    let path = format!("/v1/activities/{task_id}");
    assert_eq!(app.send(app.client.delete(app.url(&path)), &app.admin_key).await.status, 204);
    app.get(&path, &app.admin_key).await.expect(404);
    assert!(app.event_types().contains(&"activity.deleted".to_string()));
}

async fn activity_validation_and_tenancy(app: TestApp) {
    let (contact, _) = setup(&app).await;
    let before = app.count("activities");
    let cases = [
        (json!({"kind": "note", "contact_ids": [contact]}), "/body"),
        (json!({"kind": "task", "contact_ids": [contact]}), "/subject"),
        (json!({"kind": "meeting", "contact_ids": [contact]}), "/starts_at"),
        (
            json!({"kind": "meeting", "starts_at": "2030-03-01T10:00:00Z", "ends_at": "2030-03-01T09:00:00Z", "contact_ids": [contact]}),
            "/ends_at",
        ),
        (json!({"kind": "note", "body": "x"}), "/contact_ids"),
        (json!({"kind": "note", "body": "x", "contact_ids": ["con_nobody"]}), "/contact_ids"),
        (json!({"kind": "call", "duration_seconds": -5, "contact_ids": [contact]}), "/duration_seconds"),
        (
            json!({"kind": "task", "subject": "x", "assignee_id": "user_nobody", "contact_ids": [contact]}),
            "/assignee_id",
        ),
        (json!({"kind": "fax", "contact_ids": [contact]}), "/kind"),
        (json!({"kind": "note", "body": "x", "occurred_at": "noon", "contact_ids": [contact]}), "/occurred_at"),
    ];
    for (body, pointer) in cases {
        let reply = app.post("/v1/activities", &app.admin_key, body.clone()).await;
        reply.expect(422);
        let pointers: Vec<&str> =
            reply.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert!(pointers.contains(&pointer), "{body} gave {pointers:?}");
    }
    assert_eq!(app.count("activities"), before);

    let note = app
        .post("/v1/activities", &app.admin_key, json!({"kind": "note", "body": "private", "contact_ids": [contact]}))
        .await;
    let path = format!("/v1/activities/{}", note.body["id"].as_str().unwrap());
    app.get(&path, &app.other_org_key).await.expect(404);
    app.patch(&path, &app.other_org_key, json!({"body": "stolen"})).await.expect(404);
    // Another organization cannot attach its activity to this contact.
    app.post("/v1/activities", &app.other_org_key, json!({"kind": "note", "body": "x", "contact_ids": [contact]}))
        .await
        .expect(422);
    app.post("/v1/activities", &app.read_only_token, json!({"kind": "note", "body": "x", "contact_ids": [contact]}))
        .await
        .expect(403);
    app.send(app.client.patch(app.url(&path)).header("If-Match", "\"9\"").json(&json!({"body": "x"})), &app.admin_key)
        .await
        .expect(412);
}

async fn timeline_and_history(app: TestApp) {
    let (contact, company) = setup(&app).await;
    let path = format!("/v1/contacts/{contact}");
    app.patch(&path, &app.admin_key, json!({"lifecycle_stage": "customer"})).await.expect(200);
    for i in 0..3 {
        app.post(
            "/v1/activities",
            &app.admin_key,
            json!({"kind": "note", "body": format!("note {i}"), "contact_ids": [contact], "company_ids": [company]}),
        )
        .await
        .expect(201);
    }
    app.patch(&path, &app.admin_key, json!({"job_title": "CEO"})).await.expect(200);

    // created, updated, 3 notes, updated: 6 items, newest first, paged by 4.
    let first = app.get(&format!("{path}/timeline?limit=4"), &app.read_only_token).await;
    first.expect(200);
    let items = first.body["data"].as_array().unwrap().clone();
    let types: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["change", "activity", "activity", "activity"]);
    assert_eq!(items[0]["change"]["changes"]["job_title"]["after"], "CEO");
    assert_eq!(items[1]["activity"]["body"], "note 2");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("{path}/timeline?limit=4&cursor={cursor}"), &app.read_only_token).await;
    let rest: Vec<String> = second.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["change"]["action"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(rest, ["updated", "created"]);
    assert_eq!(second.body["has_more"], false);

    let history = app.get(&format!("{path}/history"), &app.admin_key).await;
    let actions: Vec<&str> =
        history.body["data"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["updated", "updated", "created"]);
    assert_eq!(history.body["data"][1]["changes"]["lifecycle_stage"], json!({"before": "lead", "after": "customer"}));

    let company_timeline = app.get(&format!("/v1/companies/{company}/timeline"), &app.admin_key).await;
    assert_eq!(company_timeline.body["data"].as_array().unwrap().len(), 4, "3 notes and the creation");
    app.get(&format!("/v1/companies/{company}/history"), &app.admin_key).await.expect(200);

    app.get(&format!("{path}/timeline"), &app.other_org_key).await.expect(404);
    app.get(&format!("{path}/history"), &app.other_org_key).await.expect(404);
    app.get("/v1/contacts/con_missing/timeline", &app.admin_key).await.expect(404);
    app.get(&format!("{path}/timeline?cursor=bogus"), &app.admin_key).await.expect(400);
}
