//! API keys: shown once, stored hashed, scoped, revocable.

use serde_json::json;

use crate::both;
use crate::support::TestApp;

both!(key_is_shown_once_and_stored_hashed, scopes_limit_what_a_key_does, revoked_key_is_401, key_validation);

async fn key_is_shown_once_and_stored_hashed(app: TestApp) {
    let created =
        app.post("/v1/api-keys", &app.admin_key, json!({"name": "ERP sync", "scopes": ["platform:read"]})).await;
    created.expect(201);
    let secret = created.body["key"].as_str().unwrap().to_string();
    let id = created.body["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("crm_sk_") && secret.len() > 40);
    assert!(secret.starts_with(created.body["prefix"].as_str().unwrap()));
    assert_eq!(created.body["role"], "admin");

    let fetched = app.get(&format!("/v1/api-keys/{id}"), &app.admin_key).await;
    fetched.expect(200);
    assert!(fetched.body.get("key").is_none());
    assert!(!fetched.text.contains(&secret));
    let listed = app.get("/v1/api-keys", &app.admin_key).await;
    assert!(!listed.text.contains(&secret));

    // Only a keyed hash is stored.
    use crm_core::schema::api_keys;
    use diesel::prelude::*;
    let stored: String = api_keys::table.find(&id).select(api_keys::key_hash).first(&mut *app.conn()).unwrap();
    assert_ne!(stored, secret);
    assert_eq!(stored.len(), 64);

    let me = app.get("/v1/me", &secret).await;
    me.expect(200);
    assert_eq!(me.body["principal_id"], id);
    assert_eq!(me.body["scopes"], json!(["platform:read"]));

    // The last use is recorded in the background, soon after.
    let mut last_used = serde_json::Value::Null;
    for _ in 0..50 {
        last_used = app.get(&format!("/v1/api-keys/{id}"), &app.admin_key).await.body["last_used_at"].clone();
        if last_used.is_string() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(last_used.is_string(), "last_used_at was never recorded");
}

async fn scopes_limit_what_a_key_does(app: TestApp) {
    let read_only =
        app.post("/v1/api-keys", &app.admin_key, json!({"name": "reader", "scopes": ["platform:read"]})).await;
    let key = read_only.body["key"].as_str().unwrap().to_string();
    app.get("/v1/users", &key).await.expect(200);
    app.post("/v1/users", &key, json!({"email": "x@acme.test", "name": "X", "role": "sales"}))
        .await
        .expect_problem(403, "forbidden");
    app.get("/v1/events", &key).await.expect(403);

    let events_only =
        app.post("/v1/api-keys", &app.admin_key, json!({"name": "feed", "scopes": ["events:read"]})).await;
    let key = events_only.body["key"].as_str().unwrap().to_string();
    app.get("/v1/events", &key).await.expect(200);
    app.get("/v1/users", &key).await.expect(403);

    // A key's role is at most its creator's, and a sales key cannot do admin work even with `*`.
    let sales_key = app.post("/v1/api-keys", &app.admin_key, json!({"name": "as sales", "role": "sales"})).await;
    sales_key.expect(201);
    let key = sales_key.body["key"].as_str().unwrap().to_string();
    app.get("/v1/api-keys", &key).await.expect(403);
}

async fn revoked_key_is_401(app: TestApp) {
    let created = app.post("/v1/api-keys", &app.admin_key, json!({"name": "temporary"})).await;
    let (id, key) =
        (created.body["id"].as_str().unwrap().to_string(), created.body["key"].as_str().unwrap().to_string());
    app.get("/v1/me", &key).await.expect(200);
    let revoked = app.post(&format!("/v1/api-keys/{id}/revoke"), &app.admin_key, json!({})).await;
    revoked.expect(200);
    assert!(revoked.body["revoked_at"].is_string());
    app.get("/v1/me", &key).await.expect_problem(401, "unauthorized");
    app.post(&format!("/v1/api-keys/{id}/revoke"), &app.admin_key, json!({}))
        .await
        .expect_problem(409, "api_key_revoked");
    assert!(app.event_types().contains(&"api_key.revoked".to_string()));
    let live = app.get("/v1/api-keys?revoked=false", &app.admin_key).await;
    assert!(live.body["data"].as_array().unwrap().iter().all(|k| k["id"] != id.as_str()));

    let expired =
        app.post("/v1/api-keys", &app.admin_key, json!({"name": "past", "expires_at": "2020-01-01T00:00:00Z"})).await;
    expired.expect(422);
}

async fn key_validation(app: TestApp) {
    let before = app.count("api_keys");
    let reply =
        app.post("/v1/api-keys", &app.admin_key, json!({"name": "x", "scopes": ["platform:read", "root"]})).await;
    reply.expect(422);
    assert_eq!(reply.body["errors"][0]["pointer"], "/scopes/1");
    app.post("/v1/api-keys", &app.admin_key, json!({"name": "x", "scopes": []})).await.expect(422);
    app.post("/v1/api-keys", &app.admin_key, json!({"name": ""})).await.expect(422);
    app.post("/v1/api-keys", &app.admin_key, json!({"name": "x", "secret": "mine"})).await.expect(422);
    assert_eq!(app.count("api_keys"), before);

    let created = app.post("/v1/api-keys", &app.admin_key, json!({"name": "rename me"})).await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let renamed = app.patch(&format!("/v1/api-keys/{id}"), &app.admin_key, json!({"name": "renamed"})).await;
    renamed.expect(200);
    assert_eq!(renamed.body["scopes"], json!(["*"]));
    assert_eq!(renamed.body["version"], 2);
    let rescoped = app.patch(&format!("/v1/api-keys/{id}"), &app.admin_key, json!({"scopes": ["events:read"]})).await;
    assert_eq!(rescoped.body["name"], "renamed");
    assert_eq!(rescoped.body["scopes"], json!(["events:read"]));
}
