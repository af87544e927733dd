//! Users: create, read, update, list; validation, permissions, another organization's records.

use serde_json::json;

use crate::both;
use crate::support::TestApp;

both!(
    create_user_records_audit_and_event,
    bad_input_changes_nothing,
    roles_decide_who_may_write,
    other_organization_sees_404,
    update_with_if_match,
    list_pages_sorts_and_filters
);

async fn create_user_records_audit_and_event(app: TestApp) {
    let users_before = app.count("users");
    let created = app
        .post(
            "/v1/users",
            &app.admin_key,
            json!({"email": "ada@acme.test", "name": "Ada", "role": "manager", "password": "correct horse battery"}),
        )
        .await;
    created.expect(201);
    let id = created.body["id"].as_str().unwrap();
    assert!(id.starts_with("user_") && id.len() == 31);
    assert_eq!(created.header("location"), Some(format!("/v1/users/{id}").as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["version"], 1);
    assert!(created.body.get("password").is_none() && created.body.get("password_hash").is_none());
    assert!(created.body["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(app.count("users"), users_before + 1);
    assert_eq!(app.event_types().last().map(String::as_str), Some("user.created"));

    let fetched = app.get(&format!("/v1/users/{id}"), &app.sales_token).await;
    fetched.expect(200);
    assert_eq!(fetched.body["email"], "ada@acme.test");

    let audit = app.get(&format!("/v1/audit-log?resource_id={id}"), &app.admin_key).await;
    audit.expect(200);
    assert_eq!(audit.body["data"][0]["action"], "created");
    assert_eq!(audit.body["data"][0]["changes"]["role"]["after"], "manager");
    assert!(audit.body["data"][0]["request_id"].as_str().unwrap().starts_with("req_"));

    app.post("/v1/users", &app.admin_key, json!({"email": "ADA@acme.test", "name": "Ada 2", "role": "sales"}))
        .await
        .expect_problem(409, "email_taken");
}

async fn bad_input_changes_nothing(app: TestApp) {
    let users = app.count("users");
    let events = app.count("events");
    let cases = [
        (json!({"email": "not-an-email", "name": "X", "role": "sales"}), "/email"),
        (json!({"email": "x@acme.test", "name": "", "role": "sales"}), "/name"),
        (json!({"email": "x@acme.test", "name": "X", "role": "emperor"}), "/role"),
        (json!({"email": "x@acme.test", "name": "X", "role": "sales", "password": "short"}), "/password"),
        (json!({"email": "x@acme.test", "name": "X", "role": "sales", "nickname": "x"}), "/nickname"),
        (json!({"name": "X", "role": "sales"}), "/email"),
        (json!({"email": 42, "name": "X", "role": "sales"}), "/email"),
    ];
    for (body, pointer) in cases {
        let reply = app.post("/v1/users", &app.admin_key, body.clone()).await;
        reply.expect(422);
        let pointers: Vec<&str> =
            reply.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert!(pointers.contains(&pointer), "{body} gave {pointers:?}");
    }
    let malformed = app
        .send(
            app.client.post(app.url("/v1/users")).header("content-type", "application/json").body("{\"email\": "),
            &app.admin_key,
        )
        .await;
    malformed.expect_problem(400, "malformed_json");
    let text = app
        .send(app.client.post(app.url("/v1/users")).header("content-type", "text/plain").body("hello"), &app.admin_key)
        .await;
    text.expect_problem(415, "unsupported_media_type");
    let huge = "x".repeat(1_100_000);
    let too_large = app
        .send(
            app.client
                .post(app.url("/v1/users"))
                .header("content-type", "application/json")
                .body(format!("{{\"name\": \"{huge}\"}}")),
            &app.admin_key,
        )
        .await;
    too_large.expect(413);
    app.get("/v1/users?limit=0", &app.admin_key).await.expect(400);
    app.get("/v1/users?sort=password_hash", &app.admin_key).await.expect_problem(400, "invalid_sort");
    app.get("/v1/users?cursor=%%%", &app.admin_key).await.expect(400);
    app.get("/v1/users?colour=red", &app.admin_key).await.expect_problem(400, "invalid_query");
    app.get("/v1/nowhere", &app.admin_key).await.expect_problem(404, "not_found");
    app.get("/v1/users?email=a%00b", &app.admin_key).await.expect_problem(400, "invalid_character");
    app.get("/v1/users/user_%00", &app.admin_key).await.expect_problem(400, "invalid_character");
    let nul = json!({"email": "a\u{0}@acme.test", "name": "X", "role": "sales"});
    let nul = app.post("/v1/users", &app.admin_key, nul).await;
    nul.expect_problem(422, "validation_failed");
    assert_eq!(nul.body["errors"][0]["code"], "invalid_character");
    app.get("/v1/users/user_doesnotexist", &app.admin_key).await.expect_problem(404, "not_found");
    assert_eq!(app.count("users"), users);
    assert_eq!(app.count("events"), events);
}

async fn roles_decide_who_may_write(app: TestApp) {
    let users = app.count("users");
    let body = json!({"email": "x@acme.test", "name": "X", "role": "sales"});
    app.post("/v1/users", &app.sales_token, body.clone()).await.expect_problem(403, "forbidden");
    app.post("/v1/users", &app.read_only_token, body.clone()).await.expect_problem(403, "forbidden");
    app.patch(&format!("/v1/users/{}", app.sales_id), &app.sales_token, json!({"role": "admin"})).await.expect(403);
    app.get("/v1/users", &app.read_only_token).await.expect(200);
    app.get("/v1/api-keys", &app.sales_token).await.expect(403);
    app.get("/v1/audit-log", &app.read_only_token).await.expect(403);
    app.get("/v1/events", &app.sales_token).await.expect(403);
    assert_eq!(app.count("users"), users);
}

async fn other_organization_sees_404(app: TestApp) {
    let key = app.other_org_key.clone();
    let target = format!("/v1/users/{}", app.sales_id);
    app.get(&target, &key).await.expect_problem(404, "not_found");
    app.patch(&target, &key, json!({"name": "Hijacked"})).await.expect(404);
    app.post(&format!("{target}/deactivate"), &key, json!({})).await.expect(404);
    app.post(&format!("{target}/reactivate"), &key, json!({})).await.expect(404);
    let list = app.get("/v1/users", &key).await;
    list.expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1, "only their own admin");
    let keys = app.get("/v1/api-keys", &app.admin_key).await;
    let our_key = keys.body["data"][0]["id"].as_str().unwrap().to_string();
    app.get(&format!("/v1/api-keys/{our_key}"), &key).await.expect(404);
    app.post(&format!("/v1/api-keys/{our_key}/revoke"), &key, json!({})).await.expect(404);
    app.patch(&format!("/v1/api-keys/{our_key}"), &key, json!({"name": "stolen"})).await.expect(404);
    let audit = app.get("/v1/audit-log", &key).await;
    assert!(audit.body["data"].as_array().unwrap().iter().all(|e| e["resource_id"] != app.sales_id.as_str()));
    let events = app.get("/v1/events", &key).await;
    assert!(events.body["data"].as_array().unwrap().iter().all(|e| e["data"]["object"]["id"] != app.admin_id.as_str()));
    let me = app.get(&target, &app.admin_key).await;
    assert_eq!(me.body["name"], "sales@acme.test");
}

async fn update_with_if_match(app: TestApp) {
    let target = format!("/v1/users/{}", app.sales_id);
    let current = app.get(&target, &app.admin_key).await;
    assert_eq!(current.header("etag"), Some("\"1\""));

    let updated = app
        .send(
            app.client.patch(app.url(&target)).header("If-Match", "\"1\"").json(&json!({"name": "Sam Sales"})),
            &app.admin_key,
        )
        .await;
    updated.expect(200);
    assert_eq!(updated.body["name"], "Sam Sales");
    assert_eq!(updated.body["role"], "sales", "absent fields are unchanged");
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), Some("\"2\""));

    let stale = app
        .send(
            app.client.patch(app.url(&target)).header("If-Match", "\"1\"").json(&json!({"name": "Lost update"})),
            &app.admin_key,
        )
        .await;
    stale.expect_problem(412, "version_mismatch");
    app.patch(&target, &app.admin_key, json!({"name": null})).await.expect(422);
    app.patch(&target, &app.admin_key, json!({"role": null})).await.expect(422);
    assert_eq!(app.get(&target, &app.admin_key).await.body["name"], "Sam Sales");

    let promoted = app.patch(&target, &app.admin_key, json!({"role": "manager"})).await;
    promoted.expect(200);
    assert_eq!(promoted.body["name"], "Sam Sales");
    assert_eq!(promoted.body["role"], "manager");

    let audit = app.get(&format!("/v1/audit-log?resource_id={}&action=updated", app.sales_id), &app.admin_key).await;
    let newest = &audit.body["data"][0];
    assert_eq!(newest["changes"], json!({"role": {"before": "sales", "after": "manager"}}));
    let events = app.get("/v1/events?types=user.updated", &app.admin_key).await;
    let last = events.body["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["data"]["previous_attributes"], json!({"role": "sales"}));
    assert_eq!(last["data"]["object"]["role"], "manager");
}

async fn list_pages_sorts_and_filters(app: TestApp) {
    for i in 0..7 {
        app.post(
            "/v1/users",
            &app.admin_key,
            json!({"email": format!("u{i}@acme.test"), "name": format!("User {i}"), "role": "support"}),
        )
        .await
        .expect(201);
    }
    // 7 new + admin + sales + viewer = 10; page through by 3 in e-mail order, descending.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?limit=3&sort=-email&cursor={c}"),
            None => "/v1/users?limit=3&sort=-email".to_string(),
        };
        let page = app.get(&path, &app.admin_key).await;
        page.expect(200);
        for user in page.body["data"].as_array().unwrap() {
            seen.push(user["email"].as_str().unwrap().to_string());
        }
        if !page.body["has_more"].as_bool().unwrap() {
            assert!(page.body["next_cursor"].is_null());
            break;
        }
        cursor = page.body["next_cursor"].as_str().map(str::to_string);
    }
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 10);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 10);

    let support = app.get("/v1/users?role=support&limit=200", &app.admin_key).await;
    assert_eq!(support.body["data"].as_array().unwrap().len(), 7);
    let invited = app.get("/v1/users?status=invited", &app.admin_key).await;
    assert_eq!(invited.body["data"].as_array().unwrap().len(), 7);
    let one = app.get("/v1/users?email=U3@acme.test", &app.admin_key).await;
    assert_eq!(one.body["data"][0]["name"], "User 3");

    // A cursor is bound to its sort.
    let first = app.get("/v1/users?limit=2&sort=email", &app.admin_key).await;
    let c = first.body["next_cursor"].as_str().unwrap();
    app.get(&format!("/v1/users?limit=2&sort=name&cursor={c}"), &app.admin_key)
        .await
        .expect_problem(400, "invalid_cursor");
}

mod organization {
    use serde_json::json;

    use crate::both;
    use crate::support::TestApp;

    both!(organization_settings_drive_phone_numbers);

    async fn organization_settings_drive_phone_numbers(app: TestApp) {
        let org = app.get("/v1/organization", &app.read_only_token).await;
        org.expect(200);
        assert_eq!(org.body["phone_region"], "US");
        assert_eq!(org.body["id"], app.org_id.as_str());
        // National numbers are read in the organization's region.
        let us = app
            .post("/v1/contacts", &app.admin_key, json!({"first_name": "A", "phones": [{"number": "(415) 555-2671"}]}))
            .await;
        assert_eq!(us.body["phone"], "+14155552671");
        app.patch("/v1/organization", &app.sales_token, json!({"phone_region": "GB"})).await.expect(403);
        let bad = app.patch("/v1/organization", &app.admin_key, json!({"phone_region": "XX"})).await;
        bad.expect_problem(422, "validation_failed");
        assert_eq!(bad.body["errors"][0]["pointer"], "/phone_region");
        app.patch("/v1/organization", &app.admin_key, json!({"name": null})).await.expect(422);
        let gb = app.patch("/v1/organization", &app.admin_key, json!({"phone_region": "gb"})).await;
        gb.expect(200);
        assert_eq!(gb.body["phone_region"], "GB");
        assert_eq!(gb.body["version"], 2);
        let uk = app
            .post("/v1/contacts", &app.admin_key, json!({"first_name": "B", "phones": [{"number": "020 7946 0958"}]}))
            .await;
        uk.expect(201);
        assert_eq!(uk.body["phone"], "+442079460958");
        // International numbers read the same everywhere; the other organization keeps its own region.
        let intl = app
            .post("/v1/contacts", &app.admin_key, json!({"first_name": "C", "phones": [{"number": "+1 415 555 2672"}]}))
            .await;
        assert_eq!(intl.body["phone"], "+14155552672");
        assert_eq!(app.get("/v1/organization", &app.other_org_key).await.body["phone_region"], "US");
        assert!(app.event_types().contains(&"organization.updated".to_string()));
    }
}
