//! Record visibility on what hangs off a contact: a contact out of sight has no timeline, no
//! history, no links, consents or subscriptions, is in no search, export or duplicate match;
//! a contact created by someone who sees only their own is theirs.

use serde_json::json;

use crate::both;
use crate::imports::wait;
use crate::support::TestApp;

both!(a_contact_out_of_sight_is_out_of_every_view);

async fn a_contact_out_of_sight_is_out_of_every_view(app: TestApp) {
    let (mate_id, _) = app.new_user("mate@acme.test", "sales");
    let rules = json!({"rules": [
        {"role": "sales", "record_type": "contact", "visibility": "own"},
        {"role": "sales", "record_type": "activity", "visibility": "own"},
    ]});
    app.put("/v1/organization/record-visibility", &app.admin_key, rules).await.expect(200);
    let hidden = app
        .post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": "Hedy", "last_name": "Lamarr", "emails": [{"address": "hedy@example.com"}], "owner_id": mate_id}),
        )
        .await;
    hidden.expect(201);
    let hidden_id = hidden.body["id"].as_str().unwrap().to_string();
    // Created without an owner by someone who sees only their own: it is theirs.
    let mine =
        app.post("/v1/contacts", &app.sales_token, json!({"first_name": "Hedwig", "last_name": "Kiesler"})).await;
    mine.expect(201);
    assert_eq!(mine.body["owner_id"], app.sales_id.as_str(), "{}", mine.text);
    // The admin's own contacts stay unowned.
    let unowned = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Grace"})).await;
    assert!(unowned.body["owner_id"].is_null(), "{}", unowned.text);
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Initech"})).await;
    let company_id = company.body["id"].as_str().unwrap();
    app.post(
        "/v1/activities",
        &app.admin_key,
        json!({"kind": "note", "body": "Met at the fair", "contact_ids": [hidden_id], "company_ids": [company_id]}),
    )
    .await
    .expect(201);

    for path in ["timeline", "history", "companies", "consents", "subscriptions"] {
        let url = format!("/v1/contacts/{hidden_id}/{path}");
        app.get(&url, &app.sales_token).await.expect_problem(404, "not_found");
        app.get(&url, &app.admin_key).await.expect(200);
    }
    app.send(
        app.client.put(app.url(&format!("/v1/contacts/{hidden_id}/companies/{company_id}"))).json(&json!({})),
        &app.sales_token,
    )
    .await
    .expect_problem(404, "not_found");
    // The company is in sight, but the note about it was logged by the admin: not the sales user's.
    let timeline = app.get(&format!("/v1/companies/{company_id}/timeline"), &app.sales_token).await;
    timeline.expect(200);
    assert!(
        timeline.body["data"].as_array().unwrap().iter().all(|i| i["item_type"] != "activity"),
        "{}",
        timeline.text
    );

    let search = app.post("/v1/contacts/search", &app.sales_token, json!({"query": "hed"})).await;
    search.expect(200);
    let ids: Vec<&str> = search.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine.body["id"].as_str().unwrap()], "{}", search.text);
    let global = app.get("/v1/search?q=hed", &app.sales_token).await;
    assert_eq!(global.body["data"].as_array().unwrap().len(), 1, "{}", global.text);

    let duplicates = app
        .post(
            "/v1/contacts/duplicates",
            &app.sales_token,
            json!({"inputs": [{"emails": [{"address": "hedy@example.com"}]}]}),
        )
        .await;
    duplicates.expect(200);
    assert!(!duplicates.text.contains(&hidden_id), "{}", duplicates.text);
    let as_admin = app
        .post(
            "/v1/contacts/duplicates",
            &app.admin_key,
            json!({"inputs": [{"emails": [{"address": "hedy@example.com"}]}]}),
        )
        .await;
    assert!(as_admin.text.contains(&hidden_id), "{}", as_admin.text);

    // An export holds what its requester sees.
    let export = app.post("/v1/exports", &app.sales_token, json!({"columns": ["first_name"]})).await;
    export.expect(202);
    let done = wait(&app, &format!("/v1/exports/{}", export.body["id"].as_str().unwrap())).await;
    assert_eq!(done["rows_written"], 1, "{done}");
    let download = app.get(&format!("/v1/exports/{}/download", done["id"].as_str().unwrap()), &app.sales_token).await;
    assert_eq!(download.text, "first_name\nHedwig\n");
}
