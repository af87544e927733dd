//! Pipelines and their stages: defaults, validation, reordering, removal guarded by deals.

use crm_test_support::TestApp;
use serde_json::json;

use crate::{both, id, pipeline};

async fn pipelines_take_default_or_given_stages(app: TestApp) {
    let created = app.post("/v1/pipelines", &app.admin_key, json!({"name": "New business"})).await;
    created.expect(201);
    let stages = created.body["stages"].as_array().unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Qualified", "Contact made", "Proposal made", "Negotiation", "Won", "Lost"]);
    assert_eq!(stages[2]["probability"], 50);
    assert_eq!(stages[4]["kind"], "won");
    assert_eq!(created.body["position"], 0);

    let (second, _) = pipeline(&app, "Renewals").await;
    let got = app.get(&format!("/v1/pipelines/{second}"), &app.sales_token).await;
    got.expect(200);
    assert_eq!(got.body["position"], 1);
    assert_eq!(got.body["stages"][1]["name"], "Demo");

    let listed = app.get("/v1/pipelines", &app.read_only_token).await;
    listed.expect(200);
    let names: Vec<&str> =
        listed.body["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["New business", "Renewals"]);
    assert_eq!(listed.body["data"][1]["stages"].as_array().unwrap().len(), 5);

    // A name is unique; a sales rep reads but does not shape pipelines; others see nothing.
    app.post("/v1/pipelines", &app.admin_key, json!({"name": "Renewals"}))
        .await
        .expect_problem(409, "duplicate_pipeline");
    app.post("/v1/pipelines", &app.sales_token, json!({"name": "Mine"})).await.expect(403);
    app.get(&format!("/v1/pipelines/{second}"), &app.other_org_key).await.expect(404);
    app.patch(&format!("/v1/pipelines/{second}"), &app.other_org_key, json!({"name": "x"})).await.expect(404);
    assert_eq!(app.count("pipelines"), 2);
}

async fn bad_stages_are_refused_whole(app: TestApp) {
    let before = app.count("pipeline_stages");
    let no_won = json!({"name": "P", "stages": [{"name": "A"}, {"name": "B"}, {"name": "Lost", "kind": "lost"}]});
    let reply = app.post("/v1/pipelines", &app.admin_key, no_won).await;
    reply.expect_problem(422, "validation_failed");
    assert!(reply.text.contains("missing_stage_kind"), "{}", reply.text);
    let twice = json!({"name": "P", "stages": [{"name": "A"}, {"name": "a"}, {"name": "W", "kind": "won"}, {"name": "L", "kind": "lost"}]});
    let reply = app.post("/v1/pipelines", &app.admin_key, twice).await;
    reply.expect(422);
    assert!(reply.text.contains("/stages/1/name"), "{}", reply.text);
    let odds = json!({"name": "P", "stages": [{"name": "A", "probability": 101}, {"name": "W", "kind": "won"}, {"name": "L", "kind": "lost"}]});
    app.post("/v1/pipelines", &app.admin_key, odds).await.expect(422);
    let kind = json!({"name": "P", "stages": [{"name": "A", "kind": "maybe"}, {"name": "W", "kind": "won"}, {"name": "L", "kind": "lost"}]});
    app.post("/v1/pipelines", &app.admin_key, kind).await.expect(422);
    assert_eq!(app.count("pipeline_stages"), before);
    assert_eq!(app.count("pipelines"), 0);
}

async fn stages_reorder_and_go_only_when_empty(app: TestApp) {
    let (pipe, stages) = pipeline(&app, "Sales").await;
    let deal = app.post("/v1/deals", &app.sales_token, json!({"name": "Acme", "stage_id": stages[1]})).await;
    deal.expect(201);
    let url = format!("/v1/pipelines/{pipe}");

    // Demo (holding the deal) moves first, Lead is renamed, a stage is added at the end.
    let reordered = json!({"stages": [
        {"id": stages[1], "name": "Demo"}, {"id": stages[0], "name": "Inbound lead", "probability": 5},
        {"id": stages[2], "name": "Proposal", "probability": 70}, {"name": "Contract", "probability": 90},
        {"id": stages[3], "name": "Won", "kind": "won"}, {"id": stages[4], "name": "Lost", "kind": "lost"}
    ]});
    let updated = app.patch(&url, &app.admin_key, reordered).await;
    updated.expect(200);
    let names: Vec<&str> =
        updated.body["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Demo", "Inbound lead", "Proposal", "Contract", "Won", "Lost"]);
    assert_eq!(updated.body["stages"][0]["id"], stages[1].as_str());
    assert_eq!(updated.body["stages"][1]["probability"], 5);
    assert_eq!(updated.body["version"], 2);
    // The deal stayed in its stage, whose position changed.
    let got = app.get(&format!("/v1/deals/{}", id(&deal.body)), &app.admin_key).await;
    assert_eq!(got.body["stage_id"], stages[1].as_str());
    assert_eq!(got.body["probability"], 10);

    // Demo holds a deal: it cannot go, nor become a won stage; nothing changes.
    let without_demo = json!({"stages": [
        {"id": stages[0], "name": "Lead"}, {"id": stages[3], "name": "Won", "kind": "won"}, {"id": stages[4], "name": "Lost", "kind": "lost"}
    ]});
    app.patch(&url, &app.admin_key, without_demo).await.expect_problem(409, "stage_has_deals");
    let demo_won = json!({"stages": [
        {"id": stages[1], "name": "Demo", "kind": "won"}, {"id": stages[0], "name": "Lead"}, {"id": stages[4], "name": "Lost", "kind": "lost"}
    ]});
    app.patch(&url, &app.admin_key, demo_won).await.expect_problem(409, "stage_has_deals");
    let foreign = json!({"stages": [{"id": "stage_nope", "name": "X"}, {"name": "W", "kind": "won"}, {"name": "L", "kind": "lost"}]});
    app.patch(&url, &app.admin_key, foreign).await.expect(422);
    let odds = json!({"stages": [{"id": stages[1], "name": "Demo", "probability": 150}, {"name": "W", "kind": "won"}, {"name": "L", "kind": "lost"}]});
    let reply = app.patch(&url, &app.admin_key, odds).await;
    reply.expect(422);
    assert!(reply.text.contains("/stages/0/probability"), "{}", reply.text);
    app.patch(&url, &app.admin_key, json!({"position": -1})).await.expect(422);
    let after = app.get(&url, &app.admin_key).await;
    assert_eq!(after.body["stages"].as_array().unwrap().len(), 6);
    assert_eq!(after.body["version"], 2);

    // Empty stages go; a pipeline with deals, even trashed ones, does not.
    let fewer = json!({"stages": [
        {"id": stages[1], "name": "Demo"}, {"id": stages[3], "name": "Won", "kind": "won"}, {"id": stages[4], "name": "Lost", "kind": "lost"}
    ]});
    let updated = app.patch(&url, &app.admin_key, fewer).await;
    updated.expect(200);
    assert_eq!(updated.body["stages"].as_array().unwrap().len(), 3);
    app.delete(&url, &app.admin_key).await.expect_problem(409, "pipeline_has_deals");
    app.delete(&format!("/v1/deals/{}", id(&deal.body)), &app.admin_key).await.expect(204);
    app.delete(&url, &app.admin_key).await.expect_problem(409, "pipeline_has_deals");
    let (empty, _) = pipeline(&app, "Empty").await;
    app.delete(&format!("/v1/pipelines/{empty}"), &app.admin_key).await.expect(204);
    app.get(&format!("/v1/pipelines/{empty}"), &app.admin_key).await.expect(404);
    let types: Vec<String> = app.event_types().into_iter().filter(|t| t.starts_with("pipeline.")).collect();
    assert_eq!(
        types,
        ["pipeline.created", "pipeline.updated", "pipeline.updated", "pipeline.created", "pipeline.deleted"]
    );
}

both!(pipelines_take_default_or_given_stages, bad_stages_are_refused_whole, stages_reorder_and_go_only_when_empty);
