//! Tickets: fields and their checks, numbers, lists and searches, statuses and their moves,
//! upserts and batches, the trash, and their place on the requester's and company's timelines.

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, contact, events, id, ticket};

async fn tickets_are_checked_numbered_and_listed(app: TestApp) {
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Analytical Engines"})).await;
    company.expect(201);
    let body = json!({
        "subject": "  Cannot export   invoices to PDF ", "description": "Since this morning.", "priority": "high",
        "channel": "phone", "requester_id": ada, "company_id": id(&company.body), "assignee_id": app.sales_id,
        "tags": ["billing"], "external_ids": {"zendesk": "4711"}
    });
    let created = app.post("/v1/tickets", &app.sales_token, body).await;
    created.expect(201);
    let first = id(&created.body);
    assert_eq!(created.header("location"), Some(format!("/v1/tickets/{first}").as_str()));
    assert_eq!(created.body["number"], 1);
    assert_eq!(created.body["subject"], "Cannot export invoices to PDF");
    assert_eq!(created.body["status"], "new");
    assert_eq!(created.body["priority"], "high");
    assert_eq!(created.body["channel"], "phone");
    assert_eq!(created.body["tags"], json!(["billing"]));
    assert_eq!(created.body["first_responded_at"], Value::Null);
    let second = ticket(&app, "Password reset mail never arrives", None).await;
    assert_eq!(
        (second["number"].as_i64(), second["priority"].as_str(), second["channel"].as_str()),
        (Some(2), Some("normal"), Some("api"))
    );

    let before = app.count("tickets");
    for (body, pointer) in [
        (json!({"subject": "   "}), "/subject"),
        (json!({"subject": ""}), "/subject"),
        (json!({"subject": "X", "requester_id": "con_nobody"}), "/requester_id"),
        (json!({"subject": "X", "company_id": "co_nobody"}), "/company_id"),
        (json!({"subject": "X", "assignee_id": "usr_nobody"}), "/assignee_id"),
        (json!({"subject": "X", "team_id": "team_nobody"}), "/team_id"),
        (json!({"subject": "X", "status": "closed"}), "/status"),
        (json!({"subject": "X", "tags": [""]}), "/tags"),
    ] {
        let reply = app.post("/v1/tickets", &app.sales_token, body.clone()).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{body}: {}", reply.text);
    }
    for body in [
        json!({"subject": "X", "priority": "asap"}),
        json!({"subject": "X", "status": "done"}),
        json!({"subject": "X", "bogus": 1}),
    ] {
        let reply = app.post("/v1/tickets", &app.sales_token, body.clone()).await;
        assert!(reply.status == 400 || reply.status == 422, "{body}: {}", reply.text);
    }
    app.post("/v1/tickets", &app.read_only_token, json!({"subject": "X"})).await.expect(403);
    assert_eq!(app.count("tickets"), before);
    app.get(&format!("/v1/tickets/{first}"), &app.other_org_key).await.expect(404);
    app.patch(&format!("/v1/tickets/{first}"), &app.other_org_key, json!({"priority": "low"})).await.expect(404);
    let theirs = app.post("/v1/tickets", &app.other_org_key, json!({"subject": "Theirs"})).await;
    theirs.expect(201);
    assert_eq!(theirs.body["number"], 1, "each organization numbers its own tickets");
    app.post("/v1/tickets", &app.other_org_key, json!({"subject": "X", "requester_id": ada})).await.expect(422);

    let listed = app.get("/v1/tickets?priority=high", &app.read_only_token).await;
    listed.expect(200);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["data"][0]["id"], first.as_str());
    let mine = app.get(&format!("/v1/tickets?assignee_id={}&status=new", app.sales_id), &app.admin_key).await;
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);
    let newest = app.get("/v1/tickets?sort=-number&limit=1", &app.admin_key).await;
    assert_eq!(newest.body["data"][0]["number"], 2);
    let by_requester = app.get(&format!("/v1/tickets?requester_id={ada}"), &app.admin_key).await;
    assert_eq!(by_requester.body["data"].as_array().unwrap().len(), 1);
    let filter = json!({"filter": {"all": [{"field": "priority", "op": "in", "value": ["high", "urgent"]}, {"field": "tags", "op": "contains", "value": "billing"}]}});
    let found = app.post("/v1/tickets/search", &app.admin_key, filter).await;
    found.expect(200);
    assert_eq!(found.body["data"].as_array().unwrap().len(), 1);
    let text = app.post("/v1/tickets/search", &app.admin_key, json!({"query": "password"})).await;
    text.expect(200);
    assert_eq!(text.body["data"][0]["number"], 2);
    app.get("/v1/tickets?filter=%7B%22field%22%3A%22nope%22%7D", &app.admin_key).await.expect(422);
}

async fn statuses_move_forward_and_closed_is_final(app: TestApp) {
    let t = ticket(&app, "Cannot export invoices to PDF", None).await;
    let url = format!("/v1/tickets/{}", id(&t));
    let opened = app.patch(&url, &app.sales_token, json!({"status": "open"})).await;
    opened.expect(200);
    assert_eq!(opened.body["version"], 2);
    let reply = app.patch(&url, &app.sales_token, json!({"status": "new"})).await;
    reply.expect(422);
    assert!(reply.text.contains("invalid_transition"), "{}", reply.text);
    app.patch(&url, &app.sales_token, json!({"status": "closed"})).await.expect(422);
    app.patch(&url, &app.sales_token, json!({"status": null})).await.expect(422);
    let assigned = app.patch(&url, &app.sales_token, json!({"assignee_id": app.admin_id})).await;
    assigned.expect(200);
    let solved = app.patch(&url, &app.sales_token, json!({"status": "solved"})).await;
    solved.expect(200);
    assert!(solved.body["solved_at"].is_string());
    app.patch(&url, &app.sales_token, json!({"status": "pending"})).await.expect(422);
    let reopened = app.patch(&url, &app.sales_token, json!({"status": "open"})).await;
    reopened.expect(200);
    assert_eq!((reopened.body["solved_at"].clone(), reopened.body["reopened_count"].clone()), (Value::Null, json!(1)));
    app.patch(&url, &app.sales_token, json!({"status": "solved"})).await.expect(200);
    let closed = app.patch(&url, &app.sales_token, json!({"status": "closed"})).await;
    closed.expect(200);
    assert!(closed.body["closed_at"].is_string());
    let version = closed.body["version"].clone();
    let reply = app.patch(&url, &app.sales_token, json!({"priority": "low"})).await;
    reply.expect(409);
    assert!(reply.text.contains("ticket_closed"));
    app.post(&format!("{url}/comments"), &app.sales_token, json!({"body": "Hello?"})).await.expect(409);
    assert_eq!(app.get(&url, &app.admin_key).await.body["version"], version, "a closed ticket took nothing");

    let kinds: Vec<String> = events(&app, "ticket.created,ticket.updated,ticket.status_changed,ticket.assigned")
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "ticket.created",
            "ticket.status_changed",
            "ticket.assigned",
            "ticket.status_changed",
            "ticket.status_changed",
            "ticket.status_changed",
            "ticket.status_changed"
        ]
    );
}

async fn tickets_upsert_batch_trash_and_show_on_timelines(app: TestApp) {
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Analytical Engines"})).await;
    let company = id(&company.body);
    let url = "/v1/external-ids/zendesk/4711/ticket";
    let first = app
        .put(url, &app.sales_token, json!({"subject": "Export broken", "requester_id": ada, "company_id": company}))
        .await;
    first.expect(201);
    assert_eq!(first.body["external_ids"], json!({"zendesk": "4711"}));
    let again = app.put(url, &app.sales_token, json!({"subject": "Export broken", "priority": "urgent"})).await;
    again.expect(200);
    assert_eq!((again.body["id"].clone(), again.body["priority"].clone()), (first.body["id"].clone(), json!("urgent")));
    assert_eq!(again.body["requester_id"], ada.as_str(), "fields not given are kept");

    let batch = json!({"mode": "upsert", "match_on": "external_id:zendesk", "inputs": [
        {"properties": {"subject": "Export broken", "external_ids": {"zendesk": "4711"}, "tags": ["vip"]}},
        {"properties": {"subject": "Login loops", "external_ids": {"zendesk": "4712"}}},
        {"properties": {"subject": "", "external_ids": {"zendesk": "4713"}}}
    ]});
    let done = app.post("/v1/tickets/batch", &app.sales_token, batch).await;
    done.expect(200);
    let results: Vec<&str> =
        done.body["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(results, ["updated", "created", "error"], "{}", done.text);
    app.post(
        "/v1/tickets/batch",
        &app.sales_token,
        json!({"mode": "upsert", "match_on": "email", "inputs": [{"properties": {"subject": "X"}}]}),
    )
    .await
    .expect(422);
    assert_eq!(app.count("tickets"), 2);

    for timeline in [format!("/v1/contacts/{ada}/timeline"), format!("/v1/companies/{company}/timeline")] {
        let items = app.get(&timeline, &app.admin_key).await;
        items.expect(200);
        assert!(items.text.contains(first.body["id"].as_str().unwrap()), "{timeline}: {}", items.text);
    }
    let ticket_url = format!("/v1/tickets/{}", id(&first.body));
    app.delete(&ticket_url, &app.sales_token).await.expect(204);
    app.get(&ticket_url, &app.admin_key).await.expect(404);
    let trashed = app.post("/v1/tickets/search", &app.admin_key, json!({"query": "export"})).await;
    assert_eq!(trashed.body["data"].as_array().unwrap().len(), 0);
    let restored = app.post(&format!("{ticket_url}/restore"), &app.sales_token, json!({})).await;
    restored.expect(200);
    assert_eq!(restored.body["external_ids"], json!({"zendesk": "4711"}));
    let history = app.get(&format!("{ticket_url}/history"), &app.admin_key).await;
    history.expect(200);
    assert!(history.body["data"].as_array().unwrap().len() >= 4, "{}", history.text);
}

async fn teams_route_new_tickets_in_turn_or_to_the_least_busy(app: TestApp) {
    let (ann, _) = app.new_user("ann@acme.test", "support");
    let (bob, _) = app.new_user("bob@acme.test", "support");
    let mut members = vec![ann.clone(), bob.clone(), app.sales_id.clone()];
    members.sort();
    let team = app.post("/v1/teams", &app.admin_key, json!({"name": "Support", "member_ids": members})).await;
    team.expect(201);
    let team = id(&team.body);
    let url = format!("/v1/teams/{team}/ticket-routing");
    let manual = app.get(&url, &app.sales_token).await;
    assert_eq!((manual.body["method"].as_str(), manual.body["version"].as_i64()), (Some("manual"), Some(0)));
    let unrouted = app.post("/v1/tickets", &app.admin_key, json!({"subject": "Waits", "team_id": team})).await;
    assert_eq!(unrouted.body["assignee_id"], Value::Null, "manual: it waits for someone");
    app.put(&url, &app.sales_token, json!({"method": "round_robin"})).await.expect(403);
    app.put("/v1/teams/team_nope/ticket-routing", &app.admin_key, json!({"method": "round_robin"})).await.expect(404);
    app.put(&url, &app.other_org_key, json!({"method": "round_robin"})).await.expect(404);
    app.put(&url, &app.admin_key, json!({"method": "sideways"})).await.expect(422);
    let set = app.put(&url, &app.admin_key, json!({"method": "round_robin"})).await;
    set.expect(200);
    assert_eq!(set.body["version"], 1);

    // Six tickets at once go round: two each, whatever the order they commit in.
    let created = futures_util::future::join_all((0..6).map(|i| {
        let app = &app;
        let body = json!({"subject": format!("Question {i}"), "team_id": team});
        async move { app.post("/v1/tickets", &app.admin_key, body).await }
    }))
    .await;
    let mut assignees: Vec<String> =
        created.iter().map(|c| c.expect(201).body["assignee_id"].as_str().unwrap().to_string()).collect();
    assignees.sort();
    let mut expected: Vec<String> = members.iter().flat_map(|m| [m.clone(), m.clone()]).collect();
    expected.sort();
    assert_eq!(assignees, expected);
    let named = app
        .post("/v1/tickets", &app.admin_key, json!({"subject": "Mine", "team_id": team, "assignee_id": app.admin_id}))
        .await;
    assert_eq!(named.body["assignee_id"], app.admin_id.as_str(), "an assignee given is kept");

    // Least open: the member with the fewest unsolved tickets takes the next.
    app.put(&url, &app.admin_key, json!({"method": "least_open"})).await.expect(200);
    let first_of_ann = created.iter().find(|c| c.body["assignee_id"] == ann.as_str()).unwrap();
    let solved = app
        .patch(&format!("/v1/tickets/{}", id(&first_of_ann.body)), &app.admin_key, json!({"status": "solved"}))
        .await;
    solved.expect(200);
    let next = app.post("/v1/tickets", &app.admin_key, json!({"subject": "Next", "team_id": team})).await;
    assert_eq!(next.body["assignee_id"], ann.as_str());
    assert_eq!(events(&app, "ticket_routing.updated").await.len(), 2);
}

/// Tickets created at once get distinct numbers, and another process (its own reserve of
/// numbers on PostgreSQL) never hands out one of them; an inbound or batch creation, numbered in
/// its transaction, neither.
async fn numbers_stay_distinct_across_concurrent_creations_and_processes(app: TestApp) {
    let created = futures_util::future::join_all((0..25).map(|i| {
        let app = &app;
        async move { app.post("/v1/tickets", &app.admin_key, json!({"subject": format!("Printer {i}")})).await }
    }))
    .await;
    let mut numbers: Vec<i64> = created.iter().map(|c| c.expect(201).body["number"].as_i64().unwrap()).collect();
    numbers.sort();
    assert_eq!(numbers, (1..=25).collect::<Vec<_>>(), "one process hands out its blocks in turn");

    let other_process = crm_core::db::Db::connect(app.state.db.url(), 2, 1000).unwrap();
    let theirs = other_process.reserved_number(&app.org_id, "tickets").await.unwrap();
    let batch = app
        .post(
            "/v1/tickets/batch",
            &app.admin_key,
            json!({"mode": "create", "inputs": [{"properties": {"subject": "Batch"}}]}),
        )
        .await;
    batch.expect(200);
    let after = app.post("/v1/tickets", &app.admin_key, json!({"subject": "After"})).await;
    let mut all: Vec<i64> = numbers.clone();
    all.extend(theirs);
    let listed = app.get("/v1/tickets?limit=100", &app.admin_key).await;
    all.extend(listed.body["data"].as_array().unwrap().iter().filter_map(|t| t["number"].as_i64()).filter(|n| *n > 25));
    all.sort();
    let distinct = all.len();
    all.dedup();
    assert_eq!(all.len(), distinct, "no number twice: {all:?}");
    assert!(after.expect(201).body["number"].as_i64().unwrap() > 25);
}

/// Edits racing the requester's erasure: both land on every ticket (the erasure locks the
/// tickets before it reads them), in whichever order they commit.
async fn edits_racing_the_requesters_erasure_are_kept(app: TestApp) {
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    let mut tickets = Vec::new();
    for _ in 0..5 {
        let body = json!({"subject": "Printer", "description": "Ada Lovelace cannot print.", "requester_id": ada});
        let created = app.post("/v1/tickets", &app.admin_key, body).await;
        created.expect(201);
        tickets.push(id(&created.body));
    }
    let edits = futures_util::future::join_all(tickets.iter().map(|t| {
        let app = &app;
        async move {
            app.patch(&format!("/v1/tickets/{t}"), &app.admin_key, json!({"subject": format!("On fire {t}")})).await
        }
    }));
    let (edited, erased) =
        futures_util::future::join(edits, app.post(&format!("/v1/contacts/{ada}/erase"), &app.admin_key, json!({})))
            .await;
    erased.expect(200);
    for (t, edit) in tickets.iter().zip(edited) {
        edit.expect(200);
        let after = app.get(&format!("/v1/tickets/{t}"), &app.admin_key).await;
        assert_eq!(
            (after.body["subject"].as_str(), after.body["description"].as_str(), after.body["version"].as_i64()),
            (Some(format!("On fire {t}").as_str()), Some("[erased]"), Some(3)),
            "both the edit and the erasure are kept"
        );
    }
}

both!(
    edits_racing_the_requesters_erasure_are_kept,
    numbers_stay_distinct_across_concurrent_creations_and_processes,
    teams_route_new_tickets_in_turn_or_to_the_least_busy,
    tickets_are_checked_numbered_and_listed,
    statuses_move_forward_and_closed_is_final,
    tickets_upsert_batch_trash_and_show_on_timelines,
);
