//! CSV exports: a filtered list written by a job, downloaded as a stream.

use serde_json::json;

use crate::both;
use crate::imports::wait;
use crate::support::TestApp;

both!(export_writes_the_filtered_list);

async fn export_writes_the_filtered_list(app: TestApp) {
    for (first, email, stage, shop) in [
        ("Ada", "ada@example.com", "customer", "S-1"),
        ("Alan", "alan@example.com", "lead", "S-2"),
        ("Grace, \"Amazing\"", "grace@example.com", "customer", "S-3"),
    ] {
        app.post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": first, "emails": [{"address": email}], "lifecycle_stage": stage,
                   "tags": ["a", "b"], "external_ids": {"shop": shop}}),
        )
        .await
        .expect(201);
    }
    let created = app
        .post(
            "/v1/exports",
            &app.sales_token,
            json!({"filter": {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                   "columns": ["first_name", "email", "tags", "external_id:shop"]}),
        )
        .await;
    created.expect(202);
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/exports/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));
    let done = wait(&app, &path).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["rows_written"], 2);
    assert_eq!(done["download_url"], format!("{path}/download"));
    let download = app.get(&format!("{path}/download"), &app.admin_key).await;
    assert_eq!(download.status, 200);
    assert!(download.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(
        download.text,
        "first_name,email,tags,external_id:shop\nAda,ada@example.com,a;b,S-1\n\"Grace, \"\"Amazing\"\"\",grace@example.com,a;b,S-3\n"
    );
    assert_eq!(done["size_bytes"], download.text.len());

    // Everything, default columns.
    let all = app.post("/v1/exports", &app.admin_key, json!({})).await;
    all.expect(202);
    let all = wait(&app, &format!("/v1/exports/{}", all.body["id"].as_str().unwrap())).await;
    assert_eq!(all["rows_written"], 3);

    // Bad input, permissions, tenancy.
    app.post("/v1/exports", &app.admin_key, json!({"columns": ["email", "password"]})).await.expect(422);
    let bad = app
        .post("/v1/exports", &app.admin_key, json!({"filter": {"field": "colour", "op": "eq", "value": "red"}}))
        .await;
    bad.expect(422);
    assert_eq!(bad.body["errors"][0]["pointer"], "/filter/field");
    app.post("/v1/exports", &app.admin_key, json!({"columns": []})).await.expect(422);
    app.post("/v1/exports", &app.read_only_token, json!({})).await.expect(403);
    app.get(&path, &app.other_org_key).await.expect(404);
    app.get(&format!("{path}/download"), &app.other_org_key).await.expect(404);
}
