//! Record visibility, on every resource with owners of every registered domain: a role that
//! sees only its own or its teams' records gets 404 for the others on get, patch and delete and
//! finds them in no list and no global search; admins and roles without a rule see them all.

use std::collections::BTreeMap;

use crm_core::registry::ResourceSpec;
use serde_json::{Value, json};

use crate::both;
use crate::support::TestApp;

both!(
    visibility_on_every_owned_resource,
    visibility_rules_are_checked,
    teams_are_admin_only_and_checked,
    concurrent_rule_changes_each_apply_whole
);

/// Every resource with owners that can be created from its example.
fn owned() -> Vec<&'static ResourceSpec> {
    let owned: Vec<_> = crm_core::registry::resources(crm_gateway::DOMAINS)
        .filter(|r| r.owner.is_some() && r.writes.as_ref().is_some_and(|w| w.create.is_some()))
        .collect();
    assert!(owned.len() >= 3, "the registry lost owned resources: {}", owned.len());
    owned
}

async fn set_rules(app: &TestApp, visibility: &str) {
    let rules: Vec<Value> = owned()
        .iter()
        .map(|r| json!({"role": "sales", "record_type": r.record_type, "visibility": visibility}))
        .collect();
    let reply = app.put("/v1/organization/record-visibility", &app.admin_key, json!({"rules": rules})).await;
    reply.expect(200);
    for rule in reply.body["rules"].as_array().unwrap() {
        let expected = if rule["role"] == "sales" { visibility } else { "all" };
        assert_eq!(rule["visibility"], expected, "{rule}");
    }
}

/// The ids of `spec`'s records listed to `token`.
async fn listed(app: &TestApp, spec: &ResourceSpec, token: &str) -> Vec<String> {
    let reply = app.get(&format!("{}?limit=200", spec.path), token).await;
    reply.expect(200);
    reply.body["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

/// A word the example's first text names its record by (`Ada`, `Acme`).
fn search_word(body: &Value) -> String {
    let first = body.as_object().unwrap().values().find_map(Value::as_str).unwrap();
    first.split_whitespace().next().unwrap().to_string()
}

/// The ids of `spec`'s records the global search finds for `q`, as `token` sees them.
async fn found(app: &TestApp, spec: &ResourceSpec, q: &str, token: &str) -> Vec<String> {
    let reply = app.get(&format!("/v1/search?q={q}&types={}&limit=50", spec.record_type), token).await;
    reply.expect(200);
    reply.body["data"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

/// Checks what the sales user sees of each person's record of `spec`.
async fn check_sight(app: &TestApp, spec: &ResourceSpec, ids: &BTreeMap<&str, String>, sees: &[&str]) {
    let listed = listed(app, spec, &app.sales_token).await;
    let body = app.example_body(spec).await.unwrap();
    let found = if spec.search { Some(found(app, spec, &search_word(&body), &app.sales_token).await) } else { None };
    for (who, id) in ids {
        let url = format!("{}/{id}", spec.path);
        let visible = sees.contains(who);
        let got = app.get(&url, &app.sales_token).await;
        if visible {
            got.expect(200);
        } else {
            got.expect_problem(404, "not_found");
        }
        assert_eq!(listed.contains(id), visible, "{}: {who}'s record listed: {listed:?}", spec.path);
        if let Some(found) = &found {
            assert_eq!(found.contains(id), visible, "{}: {who}'s record found: {found:?}", spec.path);
        }
        // What is out of sight cannot be changed either, and stays as it was.
        if !visible {
            let patch: Value = serde_json::from_str(spec.writes.as_ref().unwrap().patches[0]).unwrap();
            app.patch(&url, &app.sales_token, patch).await.expect_problem(404, "not_found");
            app.delete(&url, &app.sales_token).await.expect_problem(404, "not_found");
            let stored = app.get(&url, &app.admin_key).await;
            stored.expect(200);
            assert_eq!(stored.body["version"], 1, "{}", stored.text);
        }
    }
}

async fn visibility_on_every_owned_resource(app: TestApp) {
    let (mate_id, mate_token) = app.new_user("mate@acme.test", "sales");
    let (_, stranger_token) = app.new_user("stranger@acme.test", "sales");
    let team =
        app.post("/v1/teams", &app.admin_key, json!({"name": "Team A", "member_ids": [app.sales_id, mate_id]})).await;
    team.expect(201);
    assert_eq!(team.body["member_ids"].as_array().unwrap().len(), 2, "{}", team.text);
    set_rules(&app, "own").await;

    for spec in owned() {
        // Each creates one record: it is theirs, and they see it.
        let mut ids = BTreeMap::new();
        for (who, token) in [("sales", &app.sales_token), ("mate", &mate_token), ("stranger", &stranger_token)] {
            let body = app.example_body(spec).await.unwrap();
            let created = app.post(spec.path, token, body).await;
            created.expect(201);
            let id = created.body["id"].as_str().unwrap().to_string();
            app.get(&format!("{}/{id}", spec.path), token).await.expect(200);
            ids.insert(who, id);
        }
        check_sight(&app, spec, &ids, &["sales"]).await;
        set_rules(&app, "team").await;
        check_sight(&app, spec, &ids, &["sales", "mate"]).await;
        set_rules(&app, "all").await;
        check_sight(&app, spec, &ids, &["sales", "mate", "stranger"]).await;
        set_rules(&app, "own").await;
        // Admins and roles without a rule see everything; another organization nothing.
        for id in ids.values() {
            let url = format!("{}/{id}", spec.path);
            app.get(&url, &app.admin_key).await.expect(200);
            app.get(&url, &app.read_only_token).await.expect(200);
            app.get(&url, &app.other_org_key).await.expect_problem(404, "not_found");
        }
    }
    // Leaving the team takes the mate's records out of sight.
    set_rules(&app, "team").await;
    let contacts = owned().into_iter().find(|r| r.record_type == "contact").unwrap();
    let mine = listed(&app, contacts, &app.sales_token).await.len();
    let team_url = format!("/v1/teams/{}", team.body["id"].as_str().unwrap());
    app.patch(&team_url, &app.admin_key, json!({"member_ids": [app.sales_id]})).await.expect(200);
    assert!(listed(&app, contacts, &app.sales_token).await.len() < mine);
    let events = app.event_types();
    assert!(events.contains(&"record_visibility.updated".to_string()), "{events:?}");
    assert!(events.contains(&"team.updated".to_string()), "{events:?}");
}

async fn visibility_rules_are_checked(app: TestApp) {
    let url = "/v1/organization/record-visibility";
    let initial = app.get(url, &app.sales_token).await;
    initial.expect(200);
    assert!(initial.body["rules"].as_array().unwrap().iter().all(|r| r["visibility"] == "all" && r["role"] != "admin"));
    for (rules, pointer) in [
        (json!([{"role": "admin", "record_type": "contact", "visibility": "own"}]), "/rules/0/role"),
        (json!([{"role": "sales", "record_type": "user", "visibility": "own"}]), "/rules/0/record_type"),
        (
            json!([{"role": "sales", "record_type": "contact", "visibility": "own"},
                   {"role": "sales", "record_type": "contact", "visibility": "team"}]),
            "/rules/1",
        ),
    ] {
        let reply = app.put(url, &app.admin_key, json!({"rules": rules})).await;
        reply.expect(422);
        assert_eq!(reply.body["errors"][0]["pointer"], pointer, "{}", reply.text);
    }
    app.put(url, &app.admin_key, json!({"rules": [{"role": "sales", "record_type": "contact", "visibility": "some"}]}))
        .await
        .expect(422);
    let many = vec![json!({"role": "admin", "record_type": "0", "visibility": "all"}); 450];
    let too_many = app.put(url, &app.admin_key, json!({"rules": many})).await;
    too_many.expect(422);
    assert_eq!(too_many.body["errors"].as_array().unwrap().len(), crm_core::error::MAX_FIELD_ERRORS);
    let rule = json!({"rules": [{"role": "sales", "record_type": "contact", "visibility": "own"}]});
    app.put(url, &app.sales_token, rule.clone()).await.expect_problem(403, "forbidden");
    // Bad input changed nothing; another organization's rules are its own.
    assert_eq!(app.get(url, &app.admin_key).await.body, initial.body);
    app.put(url, &app.other_org_key, rule).await.expect(200);
    assert_eq!(app.get(url, &app.admin_key).await.body, initial.body);
}

async fn teams_are_admin_only_and_checked(app: TestApp) {
    app.post("/v1/teams", &app.sales_token, json!({"name": "Mine"})).await.expect_problem(403, "forbidden");
    let unknown = app.post("/v1/teams", &app.admin_key, json!({"name": "A", "member_ids": ["user_nobody"]})).await;
    unknown.expect(422);
    assert_eq!(unknown.body["errors"][0]["pointer"], "/member_ids/0", "{}", unknown.text);
    app.post("/v1/teams", &app.admin_key, json!({"name": "  "})).await.expect(422);
    let team = app.post("/v1/teams", &app.admin_key, json!({"name": "Renewals", "member_ids": [app.sales_id]})).await;
    team.expect(201);
    app.post("/v1/teams", &app.admin_key, json!({"name": "Renewals"})).await.expect_problem(409, "duplicate_team");
    let url = format!("/v1/teams/{}", team.body["id"].as_str().unwrap());
    app.get(&url, &app.sales_token).await.expect(200);
    app.get(&url, &app.other_org_key).await.expect_problem(404, "not_found");
    let of_sales = app.get(&format!("/v1/teams?member_id={}", app.sales_id), &app.read_only_token).await;
    assert_eq!(of_sales.body["data"].as_array().unwrap().len(), 1, "{}", of_sales.text);
    let by_name = app.get("/v1/teams?sort=-name&limit=1", &app.admin_key).await;
    by_name.expect(200);
    app.get("/v1/teams?sort=members", &app.admin_key).await.expect(400);
    app.patch(&url, &app.sales_token, json!({"name": "X"})).await.expect_problem(403, "forbidden");
    app.patch(&url, &app.admin_key, json!({"name": null})).await.expect(422);
    let unchanged = app.patch(&url, &app.admin_key, json!({"member_ids": [app.sales_id, app.sales_id]})).await;
    assert_eq!(unchanged.body["version"], 1, "{}", unchanged.text);
    app.delete(&url, &app.other_org_key).await.expect_problem(404, "not_found");
    app.delete(&url, &app.admin_key).await.expect(204);
    app.get(&url, &app.admin_key).await.expect_problem(404, "not_found");
    assert_eq!(app.count("team_members"), 0);
}

/// Rule replacements at once: each applies whole, one after the other, each recorded once.
async fn concurrent_rule_changes_each_apply_whole(app: TestApp) {
    let url = "/v1/organization/record-visibility";
    let bodies: Vec<Value> = ["sales", "marketing", "support"]
        .iter()
        .flat_map(|role| {
            ["own", "team"].map(|v| json!({"rules": [{"role": role, "record_type": "contact", "visibility": v}]}))
        })
        .collect();
    let replies = futures_util::future::join_all(bodies.iter().map(|b| app.put(url, &app.admin_key, b.clone()))).await;
    for reply in &replies {
        reply.expect(200);
    }
    // The rules in force are exactly one request's.
    let now = app.get(url, &app.admin_key).await.body;
    let restricted: Vec<&Value> =
        now["rules"].as_array().unwrap().iter().filter(|r| r["visibility"] != "all").collect();
    assert_eq!(restricted.len(), 1, "{now}");
    let events = app.event_types().iter().filter(|t| *t == "record_visibility.updated").count();
    assert_eq!(events, bodies.len(), "each replacement changed the rules once");
}
