//! Concurrent writers, on every patchable resource of every registered domain: exactly one of
//! several writes with the same `If-Match` wins and the rest get 412; concurrent patches of
//! different fields all survive; each successful write counts one version and one event.

use crm_core::registry::{ResourceSpec, WriteExample};
use diesel::prelude::*;
use serde_json::Value;

use crate::both;
use crate::support::TestApp;

const SAME_VERSION_WRITERS: usize = 8;

/// The record's own URL and its version, after creating it from the example.
async fn create(app: &TestApp, spec: &ResourceSpec, example: &WriteExample) -> (String, String, i64) {
    let reply = match app.example_body(spec).await {
        Some(body) => app.post(spec.path, &app.admin_key, body).await,
        None => app.get(spec.path, &app.admin_key).await,
    };
    assert!(reply.status == 200 || reply.status == 201, "{}: {}", spec.path, reply.text);
    let id = reply.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with(&format!("{}_", spec.id_prefix)), "{id} has not the prefix {}", spec.id_prefix);
    let url = if example.create.is_some() { format!("{}/{id}", spec.path) } else { spec.path.to_string() };
    (url, id, reply.body["version"].as_i64().unwrap())
}

async fn patch(app: &TestApp, url: &str, body: &str, if_match: Option<i64>) -> crate::support::Reply {
    let mut request = app.client.patch(app.url(url)).json(&serde_json::from_str::<Value>(body).unwrap());
    if let Some(version) = if_match {
        request = request.header("If-Match", format!("\"{version}\""));
    }
    app.send(request, &app.admin_key).await
}

/// `<record_type>.updated` events about this record.
fn updated_events(app: &TestApp, spec: &ResourceSpec, id: &str) -> usize {
    use crm_core::schema::events;
    let data: Vec<String> = events::table
        .filter(events::event_type.eq(format!("{}.updated", spec.record_type)))
        .select(events::data)
        .load(&mut *app.conn())
        .unwrap();
    data.iter().filter(|d| serde_json::from_str::<Value>(d).unwrap()["object"]["id"] == id).count()
}

async fn same_if_match_writes_one_wins(app: &TestApp, spec: &ResourceSpec, example: &WriteExample) {
    let (url, id, version) = create(app, spec, example).await;
    let writes =
        (0..SAME_VERSION_WRITERS).map(|i| patch(app, &url, example.patches[i % example.patches.len()], Some(version)));
    let replies = futures_util::future::join_all(writes).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "{}: {:?}", spec.path, replies.iter().map(|r| (r.status, &r.text)).collect::<Vec<_>>());
    for lost in replies.iter().filter(|r| r.status != 200) {
        lost.expect_problem(412, "version_mismatch");
    }
    assert_eq!(won[0].body["version"], version + 1, "{}", won[0].text);
    let now = app.get(&url, &app.admin_key).await;
    assert_eq!(now.body["version"], version + 1, "{}", now.text);
    assert_eq!(updated_events(app, spec, &id), 1, "{}", spec.path);
}

async fn patches_of_different_fields_all_survive(app: &TestApp, spec: &ResourceSpec, example: &WriteExample) {
    let (url, id, version) = create(app, spec, example).await;
    let writes = example.patches.iter().map(|body| patch(app, &url, body, None));
    for reply in futures_util::future::join_all(writes).await {
        reply.expect(200);
    }
    let stored = app.get(&url, &app.admin_key).await;
    for body in example.patches {
        let fields: serde_json::Map<String, Value> = serde_json::from_str(body).unwrap();
        for (field, value) in fields {
            assert_eq!(stored.body[&field], value, "{}: {field} was lost: {}", spec.path, stored.text);
        }
    }
    let writes = example.patches.len() as i64;
    assert_eq!(stored.body["version"], version + writes, "{}", stored.text);
    assert_eq!(updated_events(app, spec, &id), example.patches.len(), "{}", spec.path);
}

/// Every resource that takes `PATCH` with `If-Match`, with its example writes.
fn patchable() -> Vec<(&'static ResourceSpec, &'static WriteExample)> {
    let patchable: Vec<_> = crm_core::registry::resources(crm_gateway::DOMAINS)
        .filter_map(|spec| spec.writes.as_ref().map(|example| (spec, example)))
        .collect();
    assert!(patchable.len() >= 8, "the registry lost resources: {}", patchable.len());
    for (spec, example) in &patchable {
        assert!(example.patches.len() >= 2, "{}: give patches of at least two fields", spec.path);
    }
    patchable
}

async fn same_if_match_on_every_resource(app: TestApp) {
    for (spec, example) in patchable() {
        same_if_match_writes_one_wins(&app, spec, example).await;
    }
}

async fn different_fields_on_every_resource(app: TestApp) {
    for (spec, example) in patchable() {
        patches_of_different_fields_all_survive(&app, spec, example).await;
    }
}

both!(same_if_match_on_every_resource, different_fields_on_every_resource);
