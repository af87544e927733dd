//! Deals: creation and placement, moves with their history and events, win and loss, the
//! board, the summary, lists and searches, trash, concurrency.

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, events, id, pipeline};

async fn a_deal_lives_in_a_stage_and_remembers_each(app: TestApp) {
    // No pipeline yet: the first deal brings the default one, once, however many come at once.
    let first = futures_util::future::join_all(
        (0..4).map(|i| app.post("/v1/deals", &app.sales_token, json!({"name": format!("Early {i}")}))),
    )
    .await;
    for reply in &first {
        reply.expect(201);
        assert_eq!(reply.body["pipeline_id"], first[0].body["pipeline_id"]);
    }
    let default =
        app.get(&format!("/v1/pipelines/{}", first[0].body["pipeline_id"].as_str().unwrap()), &app.sales_token).await;
    assert_eq!(
        (default.body["name"].as_str(), default.body["stages"].as_array().unwrap().len()),
        (Some("Sales pipeline"), 6)
    );
    assert_eq!(first[0].body["stage_id"], default.body["stages"][0]["id"]);
    assert_eq!(app.count("pipelines"), 1);
    for reply in &first {
        app.delete(&format!("/v1/deals/{}", id(&reply.body)), &app.admin_key).await.expect(204);
    }
    app.delete(&format!("/v1/pipelines/{}", id(&default.body)), &app.admin_key)
        .await
        .expect_problem(409, "pipeline_has_deals");
    let (pipe, stages) = pipeline(&app, "Sales").await;
    // Now first in the list, it takes the deals that name no pipeline.
    app.patch(&format!("/v1/pipelines/{}", id(&default.body)), &app.admin_key, json!({"position": 99}))
        .await
        .expect(200);
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Acme", "domain": "acme.example"})).await;
    let contact = app
        .post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada", "emails": [{"address": "ada@acme.example"}]}))
        .await;
    let body = json!({
        "name": "Acme: 250 seats", "amount": {"amount": 4500000, "currency": "USD"}, "close_date": "2026-12-20",
        "company_id": id(&company.body), "contacts": [{"contact_id": id(&contact.body), "role": "champion"}],
        "source": "webinar", "forecast_category": "best_case", "tags": ["Enterprise"], "external_ids": {"erp": "OPP-1"}
    });
    let created = app.post("/v1/deals", &app.sales_token, body).await;
    created.expect(201);
    let deal = id(&created.body);
    assert!(deal.starts_with("deal_"));
    assert_eq!(created.body["pipeline_id"], pipe.as_str());
    assert_eq!(created.body["stage_id"], stages[0].as_str(), "the first pipeline's first open stage");
    assert_eq!(created.body["status"], "open");
    assert_eq!(created.body["probability"], 10);
    assert_eq!(created.body["contacts"][0]["role"], "champion");
    assert_eq!(created.body["tags"], json!(["Enterprise"]));
    assert_eq!(created.body["forecast_category"], "best_case");
    assert_eq!(created.body["closed_at"], Value::Null);
    let got = app.get(&format!("/v1/deals/{deal}"), &app.read_only_token).await;
    got.expect(200);
    assert_eq!(redact(&got.body), redact(&created.body));

    // Bad input is refused whole.
    let before = app.count("deals");
    for (body, pointer) in [
        (json!({"name": "x", "company_id": "co_nope"}), "/company_id"),
        (json!({"name": "x", "stage_id": "stage_nope"}), "/stage_id"),
        (json!({"name": "x", "pipeline_id": "pipe_nope"}), "/pipeline_id"),
        (json!({"name": "x", "amount": {"amount": 5, "currency": "usd"}}), "/amount/currency"),
        (json!({"name": "x", "contacts": [{"contact_id": "con_nope"}]}), "/contacts/0/contact_id"),
        (json!({"name": "x", "stage_id": stages[4]}), "/lost_reason"),
        (json!({"name": " "}), "/name"),
    ] {
        let reply = app.post("/v1/deals", &app.sales_token, body.clone()).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{body}: {}", reply.text);
    }
    app.post("/v1/deals", &app.sales_token, json!({"name": "x", "close_date": "2026-13-01"})).await.expect(422);
    app.post("/v1/deals", &app.read_only_token, json!({"name": "x"})).await.expect(403);
    app.post("/v1/deals", &app.admin_key, json!({"name": "Dup", "external_ids": {"erp": "OPP-1"}}))
        .await
        .expect_problem(409, "external_id_taken");
    assert_eq!(app.count("deals"), before);
    app.get(&format!("/v1/deals/{deal}"), &app.other_org_key).await.expect(404);
    app.patch(&format!("/v1/deals/{deal}"), &app.other_org_key, json!({"name": "x"})).await.expect(404);
    app.post(&format!("/v1/deals/{deal}/win"), &app.other_org_key, json!({})).await.expect(404);

    // Moves: to Demo, Proposal; a lost stage needs a reason; lost, reopened, won.
    let url = format!("/v1/deals/{deal}");
    let moved = app.patch(&url, &app.sales_token, json!({"stage_id": stages[1]})).await;
    moved.expect(200);
    assert_eq!(moved.body["probability"], 40);
    let moved = app.patch(&url, &app.sales_token, json!({"stage_id": stages[2], "next_step": "Pricing"})).await;
    moved.expect(200);
    assert_eq!(moved.body["next_step"], "Pricing");
    // What an update answers is what is stored (the write runner reads nothing again).
    let got = app.get(&url, &app.read_only_token).await;
    assert_eq!(got.body, moved.body);
    let second = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Bo"})).await;
    let people = json!({"contacts": [{"contact_id": id(&second.body), "role": "buyer"}, {"contact_id": id(&contact.body), "role": "champion"}], "custom": {}});
    let repeopled = app.patch(&url, &app.sales_token, people).await;
    repeopled.expect(200);
    assert_eq!(app.get(&url, &app.read_only_token).await.body, repeopled.body);
    app.patch(&url, &app.sales_token, json!({"stage_id": stages[4]})).await.expect(422);
    app.post(&format!("{url}/lose"), &app.sales_token, json!({"reason": ""})).await.expect(422);
    app.post(&format!("{url}/lose"), &app.sales_token, json!({"reason": "x", "stage_id": stages[3]})).await.expect(422);
    let lost = app.post(&format!("{url}/lose"), &app.sales_token, json!({"reason": "Chose a competitor"})).await;
    lost.expect(200);
    assert_eq!(lost.body["status"], "lost");
    assert_eq!(lost.body["stage_id"], stages[4].as_str());
    assert_eq!(lost.body["lost_reason"], "Chose a competitor");
    assert_eq!(lost.body["forecast_category"], "omitted");
    assert!(lost.body["closed_at"].is_string());
    assert_eq!(lost.body["close_date"], "2026-12-20", "the expected close date is kept");
    let reopened = app.patch(&url, &app.sales_token, json!({"stage_id": stages[2]})).await;
    reopened.expect(200);
    assert_eq!(reopened.body["status"], "open");
    assert_eq!(reopened.body["lost_reason"], Value::Null);
    assert_eq!(reopened.body["closed_at"], Value::Null);
    assert_eq!(reopened.body["forecast_category"], "pipeline");
    let won = app.post(&format!("{url}/win"), &app.sales_token, json!({})).await;
    won.expect(200);
    assert_eq!((won.body["status"].as_str(), won.body["forecast_category"].as_str()), (Some("won"), Some("closed")));
    assert_eq!(won.body["probability"], 100);
    // Winning again changes nothing.
    let again = app.post(&format!("{url}/win"), &app.sales_token, json!({})).await;
    again.expect(200);
    assert_eq!(again.body["version"], won.body["version"]);

    let history = app.get(&format!("{url}/stage-history"), &app.read_only_token).await;
    history.expect(200);
    let visits = history.body["data"].as_array().unwrap();
    let visited: Vec<&str> = visits.iter().map(|v| v["stage_name"].as_str().unwrap()).collect();
    assert_eq!(visited, ["Lead", "Demo", "Proposal", "Lost", "Proposal", "Won"]);
    for pair in visits.windows(2) {
        assert_eq!(pair[0]["exited_at"], pair[1]["entered_at"], "each stay ends as the next begins");
    }
    assert_eq!(visits[5]["exited_at"], Value::Null);
    app.get(&format!("{url}/stage-history"), &app.other_org_key).await.expect(404);

    let kinds: Vec<String> =
        events(&app, "deal.*").await.into_iter().filter(|(_, of)| *of == deal).map(|(t, _)| t).collect();
    assert_eq!(
        kinds,
        [
            "deal.created",
            "deal.stage_changed",
            "deal.stage_changed",
            "deal.updated",
            "deal.lost",
            "deal.reopened",
            "deal.won"
        ]
    );

    // Into another pipeline: its first open stage, unless a stage is named.
    let (other, other_stages) = pipeline(&app, "Partners").await;
    let fresh = app.post("/v1/deals", &app.sales_token, json!({"name": "Globex"})).await;
    let fresh_url = format!("/v1/deals/{}", id(&fresh.body));
    let moved = app.patch(&fresh_url, &app.sales_token, json!({"pipeline_id": other})).await;
    moved.expect(200);
    assert_eq!(moved.body["stage_id"], other_stages[0].as_str());
    app.patch(&fresh_url, &app.sales_token, json!({"pipeline_id": pipe, "stage_id": other_stages[1]}))
        .await
        .expect(422);
    let moved = app.patch(&fresh_url, &app.sales_token, json!({"stage_id": stages[2]})).await;
    moved.expect(200);
    assert_eq!(moved.body["pipeline_id"], pipe.as_str());
    crate::assert_totals_match(&app);
}

fn redact(body: &Value) -> Value {
    let mut body = body.clone();
    body["updated_at"] = Value::Null;
    body
}

async fn the_board_and_the_summary_add_up(app: TestApp) {
    let (pipe, stages) = pipeline(&app, "Sales").await;
    let (rep, rep_token) = app.new_user("rep@example.com", "sales");
    let usd = |amount: i64| json!({"amount": amount, "currency": "USD"});
    for (name, stage, amount, owner) in [
        ("A", &stages[0], Some(usd(1000)), None),
        ("B", &stages[0], Some(usd(2500)), Some(rep.clone())),
        ("C", &stages[0], Some(json!({"amount": 700, "currency": "EUR"})), None),
        ("D", &stages[2], None, Some(rep.clone())),
        ("E", &stages[2], Some(usd(9000)), None),
    ] {
        let mut body = json!({"name": name, "stage_id": stage});
        if let Some(amount) = amount {
            body["amount"] = amount;
        }
        if let Some(owner) = owner {
            body["owner_id"] = json!(owner);
        }
        app.post("/v1/deals", &app.admin_key, body).await.expect(201);
    }
    let won =
        app.post("/v1/deals", &app.admin_key, json!({"name": "W", "stage_id": stages[3], "amount": usd(5000)})).await;
    won.expect(201);
    assert_eq!(won.body["status"], "won");
    for name in ["L1", "L2"] {
        let body = json!({"name": name, "stage_id": stages[4], "lost_reason": "Budget", "amount": usd(100)});
        app.post("/v1/deals", &app.admin_key, body).await.expect(201);
    }

    let board = app.get(&format!("/v1/pipelines/{pipe}/board"), &rep_token).await;
    board.expect(200);
    let columns = board.body["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 3, "open stages only");
    assert_eq!(
        columns[0]["totals"],
        json!({"count": 3, "amounts": [{"amount": 700, "currency": "EUR"}, {"amount": 3500, "currency": "USD"}]})
    );
    assert_eq!(columns[0]["deals"].as_array().unwrap().len(), 3);
    assert_eq!(columns[1]["totals"], json!({"count": 0, "amounts": []}));
    assert_eq!(columns[2]["totals"], json!({"count": 2, "amounts": [{"amount": 9000, "currency": "USD"}]}));
    assert_eq!(board.body["totals"]["count"], 5);
    let mine = app.get(&format!("/v1/pipelines/{pipe}/board?owner_id={rep}&deals_per_stage=1"), &rep_token).await;
    mine.expect(200);
    assert_eq!(mine.body["totals"]["count"], 2);
    assert_eq!(mine.body["columns"][0]["deals"][0]["name"], "B");
    app.get(&format!("/v1/pipelines/{pipe}/board?deals_per_stage=101"), &rep_token).await.expect(400);
    app.get(&format!("/v1/pipelines/{pipe}/board"), &app.other_org_key).await.expect(404);

    let summary = app.get(&format!("/v1/deals/summary?pipeline_id={pipe}"), &app.read_only_token).await;
    summary.expect(200);
    assert_eq!(summary.body["open"]["count"], 5);
    assert_eq!(summary.body["won"], json!({"count": 1, "amounts": [{"amount": 5000, "currency": "USD"}]}));
    assert_eq!(summary.body["lost"]["count"], 2);
    assert_eq!(summary.body["win_rate"], 0.3333);
    let theirs = app.get("/v1/deals/summary", &app.other_org_key).await;
    theirs.expect(200);
    assert_eq!(theirs.body["open"]["count"], 0);
    assert_eq!(theirs.body["win_rate"], Value::Null);
    app.get("/v1/deals/summary?close_date_from=yesterday", &app.admin_key).await.expect(400);

    // Lists and searches filter with the query string and the filter language.
    let list = app.get(&format!("/v1/deals?pipeline_id={pipe}&status=open&sort=-amount&limit=2"), &app.admin_key).await;
    list.expect(200);
    let names: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["E", "B"]);
    assert!(list.body["next_cursor"].is_string());
    let search = json!({"filter": {"all": [
        {"field": "amount", "op": "gte", "value": 1000}, {"field": "status", "op": "eq", "value": "open"},
        {"field": "close_date", "op": "is_set", "value": false}
    ]}, "sort": "name"});
    let found = app.post("/v1/deals/search", &app.admin_key, search).await;
    found.expect(200);
    let names: Vec<&str> = found.body["data"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["A", "B", "E"]);
    let dated = json!({"filter": {"field": "close_date", "op": "lte", "value": "2999-01-01"}});
    let found = app.post("/v1/deals/search", &app.admin_key, dated).await;
    found.expect(200);
    assert_eq!(found.body["data"].as_array().unwrap().len(), 3, "the closed deals got today's date");
    let bad = json!({"filter": {"field": "close_date", "op": "lt", "value": "soon"}});
    app.post("/v1/deals/search", &app.admin_key, bad).await.expect(422);
    let text = app.post("/v1/deals/search", &app.admin_key, json!({"query": "L1"})).await;
    text.expect(200);
    assert_eq!(text.body["data"].as_array().unwrap().len(), 1);
    let global = app.get("/v1/search?q=L2&types=deal", &app.admin_key).await;
    global.expect(200);
    assert_eq!(global.body["data"][0]["type"], "deal", "{}", global.text);
    crate::assert_totals_match(&app);
}

async fn trash_and_restore(app: TestApp) {
    let (_, stages) = pipeline(&app, "Sales").await;
    let created = app
        .post("/v1/deals", &app.admin_key, json!({"name": "Gone", "stage_id": stages[1], "external_ids": {"erp": "9"}}))
        .await;
    let url = format!("/v1/deals/{}", id(&created.body));
    app.delete(&url, &app.sales_token).await.expect(204);
    app.get(&url, &app.admin_key).await.expect(404);
    let listed = app.get("/v1/deals", &app.admin_key).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 0);
    app.post(&format!("{url}/restore"), &app.other_org_key, json!({})).await.expect(404);
    let restored = app.post(&format!("{url}/restore"), &app.admin_key, json!({})).await;
    restored.expect(200);
    assert_eq!(restored.body["stage_id"], stages[1].as_str());
    assert_eq!(restored.body["external_ids"], json!({"erp": "9"}));
    app.post(&format!("{url}/restore"), &app.admin_key, json!({})).await.expect(404);
    let kinds: Vec<String> = events(&app, "deal.*").await.into_iter().map(|(t, _)| t).collect();
    assert_eq!(kinds, ["deal.created", "deal.deleted", "deal.restored"]);

    // A deal whose company went to the trash still moves and wins.
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Gone Inc"})).await;
    let with_company =
        app.post("/v1/deals", &app.admin_key, json!({"name": "Orphan", "company_id": id(&company.body)})).await;
    app.delete(&format!("/v1/companies/{}", id(&company.body)), &app.admin_key).await.expect(204);
    let url = format!("/v1/deals/{}", id(&with_company.body));
    app.patch(&url, &app.sales_token, json!({"stage_id": stages[1]})).await.expect(200);
    app.post(&format!("{url}/win"), &app.sales_token, json!({})).await.expect(200);
    crate::assert_totals_match(&app);
}

/// Concurrent moves of one deal all land, each in the history once; a stage removed while deals
/// move into it never ends up holding a deal.
async fn concurrent_moves_lose_nothing(app: TestApp) {
    let (pipe, stages) = pipeline(&app, "Sales").await;
    let created = app.post("/v1/deals", &app.admin_key, json!({"name": "Busy"})).await;
    let url = format!("/v1/deals/{}", id(&created.body));
    let moves = (0..12).map(|i| {
        let body = json!({"stage_id": stages[i % 3], "next_step": format!("step {i}")});
        let url = url.clone();
        let app = &app;
        async move { app.patch(&url, &app.sales_token, body).await }
    });
    let replies = futures_util::future::join_all(moves).await;
    let changed = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(changed, 12, "{:?}", replies.iter().map(|r| r.text.clone()).collect::<Vec<_>>());
    let after = app.get(&url, &app.admin_key).await;
    assert_eq!(after.body["version"], 13);
    let history = app.get(&format!("{url}/stage-history"), &app.admin_key).await;
    let visits = history.body["data"].as_array().unwrap();
    assert_eq!(visits.iter().filter(|v| v["exited_at"].is_null()).count(), 1, "one current stay");
    assert_eq!(visits.last().unwrap()["stage_id"], after.body["stage_id"]);
    for pair in visits.windows(2) {
        assert_ne!(pair[0]["stage_id"], pair[1]["stage_id"], "a stay ends only by a move");
        assert_eq!(pair[0]["exited_at"], pair[1]["entered_at"]);
    }

    // Deals move into Proposal while an admin removes it.
    let deals: Vec<String> = futures_util::future::join_all(
        (0..6).map(|i| app.post("/v1/deals", &app.admin_key, json!({"name": format!("D{i}"), "stage_id": stages[0]}))),
    )
    .await
    .iter()
    .map(|r| id(&r.body))
    .collect();
    let without_proposal = json!({"stages": [
        {"id": stages[0], "name": "Lead"}, {"id": stages[1], "name": "Demo"},
        {"id": stages[3], "name": "Won", "kind": "won"}, {"id": stages[4], "name": "Lost", "kind": "lost"}
    ]});
    let pipeline_url = format!("/v1/pipelines/{pipe}");
    let removal = app.patch(&pipeline_url, &app.admin_key, without_proposal);
    let urls: Vec<String> = deals.iter().map(|d| format!("/v1/deals/{d}")).collect();
    let moves = futures_util::future::join_all(
        urls.iter().map(|url| app.patch(url, &app.sales_token, json!({"stage_id": stages[2]}))),
    );
    let (removal, moves) = futures_util::future::join(removal, moves).await;
    let moved = moves.iter().filter(|r| r.status == 200).count();
    for reply in &moves {
        assert!([200, 422].contains(&reply.status), "{}", reply.text);
    }
    let stored = app.get(&pipeline_url, &app.admin_key).await;
    let has_proposal = stored.body["stages"].as_array().unwrap().iter().any(|s| s["id"] == stages[2].as_str());
    match removal.status {
        200 => assert!(!has_proposal && moved == 0, "the stage went first: no deal moved in"),
        409 => assert!(has_proposal && moved > 0, "a deal got in first: the stage stays"),
        other => panic!("{other}: {}", removal.text),
    }
    let in_proposal = app.get(&format!("/v1/deals?stage_id={}", stages[2]), &app.admin_key).await;
    let moved_in = in_proposal.body["data"].as_array().unwrap().iter().filter(|d| deals.contains(&id(d))).count();
    assert_eq!(moved_in, moved);
    crate::assert_totals_match(&app);
}

both!(
    a_deal_lives_in_a_stage_and_remembers_each,
    the_board_and_the_summary_add_up,
    trash_and_restore,
    concurrent_moves_lose_nothing
);
