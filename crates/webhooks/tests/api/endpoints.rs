//! `/v1/webhook-endpoints` CRUD, validation, roles and organizations; the event catalog.

use crm_test_support::{Backend, TestApp};
use serde_json::{Value, json};

use crate::both_fast;

both_fast!(endpoints_are_managed_by_admins_only, the_catalog_lists_every_type_with_its_payload);

async fn endpoints_are_managed_by_admins_only(app: TestApp) {
    let key = &app.admin_key;
    let created = app
        .post(
            "/v1/webhook-endpoints",
            key,
            json!({"url": "https://hooks.example.com/crm", "description": "ERP", "event_types": ["contact.*", "company.created"]}),
        )
        .await;
    created.expect(201);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("whep_"));
    let secret = created.body["secret"].as_str().unwrap();
    assert!(crm_core::signature::SigningKey::parse(secret).is_some() && secret.starts_with("whsec_"));
    assert_eq!(created.body["event_types"], json!(["contact.*", "company.created"]));
    assert_eq!(created.body["enabled"], true);
    assert_eq!(created.header("location"), Some(format!("/v1/webhook-endpoints/{id}").as_str()));

    // The secret is shown once.
    let got = app.get(&format!("/v1/webhook-endpoints/{id}"), key).await;
    got.expect(200);
    assert!(got.body.get("secret").is_none(), "{}", got.text);
    assert_eq!(got.body["url"], "https://hooks.example.com/crm");
    let listed = app.get("/v1/webhook-endpoints", key).await;
    assert_eq!(listed.expect(200).body["data"].as_array().unwrap().len(), 1);

    // Bad input: a clear 422, nothing changed.
    for (body, pointer) in [
        (json!({"url": "ftp://hooks.example.com"}), "/url"),
        (json!({"url": "https://user:pw@hooks.example.com"}), "/url"),
        (
            json!({"url": "https://hooks.example.com", "event_types": ["contact.*", "contact.exploded"]}),
            "/event_types/1",
        ),
        (json!({"url": "https://hooks.example.com", "event_types": ["nothing.*"]}), "/event_types/0"),
        (json!({"url": "https://hooks.example.com", "rate_limit_per_second": 0}), "/rate_limit_per_second"),
    ] {
        let refused = app.post("/v1/webhook-endpoints", key, body.clone()).await;
        refused.expect(422);
        let pointers: Vec<&str> =
            refused.body["errors"].as_array().unwrap().iter().filter_map(|e| e["pointer"].as_str()).collect();
        assert!(pointers.contains(&pointer), "{body}: {}", refused.text);
    }
    app.post("/v1/webhook-endpoints", key, json!({"url": "https://x.example", "secret": "mine"})).await.expect(422);
    let patched =
        app.patch(&format!("/v1/webhook-endpoints/{id}"), key, json!({"event_types": ["deal.exploded"]})).await;
    patched.expect(422);
    assert_eq!(app.count("webhook_endpoints"), 1);

    // Update, with If-Match and a stale version.
    let updated = app.patch(&format!("/v1/webhook-endpoints/{id}"), key, json!({"enabled": false})).await;
    updated.expect(200);
    assert_eq!(
        (updated.body["enabled"].clone(), updated.body["disabled_reason"].clone()),
        (json!(false), json!("manual"))
    );
    let stale = app
        .send(
            app.client
                .patch(app.url(&format!("/v1/webhook-endpoints/{id}")))
                .header("if-match", "\"1\"")
                .json(&json!({"description": "x"})),
            key,
        )
        .await;
    stale.expect_problem(412, "version_mismatch");

    // Only admins: a sales user and a read-only user are refused; another organization sees nothing.
    app.get("/v1/webhook-endpoints", &app.sales_token).await.expect(403);
    app.post("/v1/webhook-endpoints", &app.read_only_token, json!({"url": "https://a.example"})).await.expect(403);
    app.get(&format!("/v1/webhook-endpoints/{id}"), &app.other_org_key).await.expect_problem(404, "not_found");
    app.patch(&format!("/v1/webhook-endpoints/{id}"), &app.other_org_key, json!({"enabled": true})).await.expect(404);
    app.delete(&format!("/v1/webhook-endpoints/{id}"), &app.other_org_key).await.expect(404);
    app.post(&format!("/v1/webhook-endpoints/{id}/rotate-secret"), &app.other_org_key, json!({})).await.expect(404);
    app.get(&format!("/v1/webhook-endpoints/{id}/deliveries"), &app.other_org_key).await.expect(404);
    let others = app.get("/v1/webhook-endpoints", &app.other_org_key).await;
    assert_eq!(others.expect(200).body["data"], json!([]));

    app.delete(&format!("/v1/webhook-endpoints/{id}"), key).await.expect(204);
    app.get(&format!("/v1/webhook-endpoints/{id}"), key).await.expect(404);
    let types = app.event_types();
    for expected in ["webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.deleted"] {
        assert!(types.iter().any(|t| t == expected), "{expected} in {types:?}");
    }
}

async fn the_catalog_lists_every_type_with_its_payload(app: TestApp) {
    let catalog = app.get("/v1/event-types", &app.admin_key).await;
    catalog.expect(200);
    let entries = catalog.body["data"].as_array().unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for expected in
        ["contact.created", "company.updated", "user.deactivated", "webhook.test", "webhook_endpoint.disabled"]
    {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let contact = entries.iter().find(|e| e["type"] == "contact.created").unwrap();
    assert_eq!(contact["object_schema"], "ContactOut");
    // As the changes feed: the roles that read events.
    app.get("/v1/event-types", &app.read_only_token).await.expect(403);

    // The contract's webhooks section: one entry per type, typed, with an example.
    let spec: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let webhooks = spec["webhooks"].as_object().unwrap();
    assert_eq!(webhooks.len(), names.len());
    let entry = &webhooks["contact.created"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(
        entry["schema"]["allOf"][1]["properties"]["data"]["properties"]["object"]["$ref"],
        "#/components/schemas/ContactOut"
    );
    assert_eq!(entry["example"]["type"], "contact.created");
    for name in &names {
        let schema = &webhooks[*name]["post"]["requestBody"]["content"]["application/json"]["schema"];
        if let Some(reference) = schema["allOf"][1]["properties"]["data"]["properties"]["object"]["$ref"].as_str() {
            let component = reference.trim_start_matches("#/components/schemas/");
            assert!(
                spec["components"]["schemas"].get(component).is_some(),
                "{name}: {reference} is not in the contract"
            );
        }
    }
}

#[actix_web::test]
async fn private_targets_are_refused_unless_allowed() {
    // The default settings: private targets refused.
    let app = TestApp::spawn(Backend::Sqlite).await;
    for url in
        ["http://127.0.0.1:9/", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://localhost:8080/"]
    {
        app.post("/v1/webhook-endpoints", &app.admin_key, json!({"url": url}))
            .await
            .expect_problem(422, "validation_failed");
    }
    assert_eq!(app.count("webhook_endpoints"), 0);
}
