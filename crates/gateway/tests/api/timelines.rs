//! Activities and timelines, on every registered resource that has them: an activity can be
//! about a record of any such type (`about`), shows on its timeline, and `about` replaces the
//! records an activity is about.

use serde_json::{Value, json};

use crate::both;
use crate::support::TestApp;

both!(activities_are_about_any_record_type);

async fn activities_are_about_any_record_type(app: TestApp) {
    let with_timeline: Vec<_> = crm_core::registry::resources(crm_gateway::DOMAINS)
        .filter(|r| r.exists.is_some() && r.writes.as_ref().is_some_and(|w| w.create.is_some()))
        .collect();
    assert!(with_timeline.len() >= 2, "the registry lost resources with timelines");
    let mut about = Vec::new();
    for spec in &with_timeline {
        let created = app.post(spec.path, &app.admin_key, app.example_body(spec).await.unwrap()).await;
        created.expect(201);
        about.push(json!({"record_type": spec.record_type, "id": created.body["id"]}));
    }
    let activity =
        app.post("/v1/activities", &app.sales_token, json!({"kind": "note", "body": "Kick-off", "about": about})).await;
    activity.expect(201);
    let mut shown: Vec<Value> = activity.body["about"].as_array().unwrap().clone();
    let key = |v: &Value| (v["record_type"].to_string(), v["id"].to_string());
    shown.sort_by_key(key);
    about.sort_by_key(key);
    assert_eq!(shown, about, "{}", activity.text);
    let activity_id = activity.body["id"].as_str().unwrap();
    for spec in &with_timeline {
        let record = about.iter().find(|r| r["record_type"] == spec.record_type).unwrap();
        let url = format!("{}/{}/timeline", spec.path, record["id"].as_str().unwrap());
        let timeline = app.get(&url, &app.sales_token).await;
        timeline.expect(200);
        assert!(
            timeline.body["data"].as_array().unwrap().iter().any(|i| i["activity"]["id"] == activity_id),
            "{url}: {}",
            timeline.text
        );
    }
    // `about` replaces what the activity is about.
    let url = format!("/v1/activities/{activity_id}");
    let first = about[0].clone();
    let patched = app.patch(&url, &app.sales_token, json!({"about": [first]})).await;
    patched.expect(200);
    assert_eq!(patched.body["about"], json!([first]), "{}", patched.text);
    // Unknown types and records of another organization are refused, and change nothing.
    for bad in [
        json!([{"record_type": "user", "id": app.sales_id}]),
        json!([{"record_type": "contact", "id": "con_nobody"}]),
        json!([]),
    ] {
        let reply = app.patch(&url, &app.sales_token, json!({"about": bad})).await;
        reply.expect(422);
    }
    let other = app.post("/v1/contacts", &app.other_org_key, json!({"first_name": "Other"})).await;
    let foreign = json!([{"record_type": "contact", "id": other.body["id"]}]);
    app.patch(&url, &app.sales_token, json!({"about": foreign})).await.expect(422);
    assert_eq!(app.get(&url, &app.admin_key).await.body["about"], json!([first]));
    app.get("/v1/users/x/timeline", &app.admin_key).await.expect(404);
}
