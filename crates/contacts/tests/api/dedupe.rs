//! Duplicate reports for contacts and companies, and contact merges (with a dry run).

use serde_json::{Value, json};

use crate::both;
use crate::support::TestApp;

both!(contact_duplicates, company_duplicates, merge_moves_everything_to_the_survivor, merge_rejects_bad_requests);

async fn create(app: &TestApp, path: &str, body: Value) -> String {
    let reply = app.post(path, &app.admin_key, body).await;
    reply.expect(201);
    reply.body["id"].as_str().unwrap().to_string()
}

async fn contact_duplicates(app: TestApp) {
    let ada = create(
        &app,
        "/v1/contacts",
        json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada.lovelace@gmail.com"}]}),
    )
    .await;
    let ada2 = create(
        &app,
        "/v1/contacts",
        json!({"first_name": "Ada", "last_name": "L.", "emails": [{"address": "AdaLovelace+news@gmail.com"}]}),
    )
    .await;
    let grace = create(
        &app,
        "/v1/contacts",
        json!({"first_name": "Grace", "last_name": "Hopper", "phones": [{"number": "+1 415 555 2671"}]}),
    )
    .await;
    let grace2 = create(
        &app,
        "/v1/contacts",
        json!({"first_name": "Grace", "last_name": "Hopper", "phones": [{"number": "(415) 555-2671"}]}),
    )
    .await;
    create(&app, "/v1/contacts", json!({"first_name": "Alan", "last_name": "Turing"})).await;
    let events = app.count("events");

    let report = app.post("/v1/contacts/duplicates", &app.read_only_token, json!({})).await;
    report.expect(200);
    assert_eq!(report.body["scanned"], 5);
    let groups = report.body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{}", report.text);
    let mut ids: Vec<Vec<&str>> =
        groups.iter().map(|g| g["ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect()).collect();
    ids.iter_mut().for_each(|g| g.sort());
    let (mut expect_ada, mut expect_grace) = (vec![ada.as_str(), ada2.as_str()], vec![grace.as_str(), grace2.as_str()]);
    expect_ada.sort();
    expect_grace.sort();
    assert!(ids.contains(&expect_ada) && ids.contains(&expect_grace));
    let reasons: Vec<&Value> = groups.iter().map(|g| &g["reasons"]).collect();
    assert!(
        reasons.contains(&&json!(["similar_email"])) && reasons.contains(&&json!(["same_phone"])),
        "{}",
        report.text
    );
    assert_eq!(app.count("events"), events, "a report changes nothing");

    // Inputs are checked against the organization before anything is created.
    let check = app
        .post(
            "/v1/contacts/duplicates",
            &app.sales_token,
            json!({"inputs": [{"first_name": "Ada", "emails": [{"address": "ADA.LOVELACE@gmail.com"}]}, {"first_name": "Nobody"}, {"phones": [{"number": "415-555-2671"}], "first_name": "Grace", "last_name": "Hopper"}]}),
        )
        .await;
    check.expect(200);
    let inputs = check.body["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2, "{}", check.text);
    assert_eq!(inputs[0]["input"], 0);
    assert_eq!(inputs[0]["matches"][0]["id"], ada.as_str());
    assert_eq!(inputs[0]["matches"][0]["reasons"], json!(["same_email"]));
    assert_eq!(inputs[1]["input"], 2);
    assert_eq!(inputs[1]["matches"].as_array().unwrap().len(), 2);

    // Bad requests are 422 with a pointer; other organizations see nothing of ours.
    let bad = app.post("/v1/contacts/duplicates", &app.admin_key, json!({"min_score": 2})).await;
    bad.expect_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["pointer"], "/min_score");
    app.post("/v1/contacts/duplicates", &app.admin_key, json!({"inputs": []}))
        .await
        .expect_problem(422, "validation_failed");
    let other = app.post("/v1/contacts/duplicates", &app.other_org_key, json!({})).await;
    assert_eq!(other.body["groups"], json!([]));
}

async fn company_duplicates(app: TestApp) {
    let street = |line: &str| json!([{"line1": line, "city": "Los Angeles"}]);
    let a = create(
        &app,
        "/v1/companies",
        json!({"name": "Art's Delicatessen", "addresses": street("12224 Ventura Blvd.")}),
    )
    .await;
    let b =
        create(&app, "/v1/companies", json!({"name": "Art's Deli", "addresses": street("12224 Ventura Boulevard")}))
            .await;
    create(&app, "/v1/companies", json!({"name": "Spago", "addresses": street("1114 Horn Ave.")})).await;
    create(&app, "/v1/companies", json!({"name": "Cafe Roma", "addresses": street("1114 Horn Ave.")})).await;
    let report = app.post("/v1/companies/duplicates", &app.read_only_token, json!({})).await;
    report.expect(200);
    let groups = report.body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{}", report.text);
    let mut ids: Vec<&str> = groups[0]["ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    ids.sort();
    let mut expected = vec![a.as_str(), b.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(groups[0]["reasons"].as_array().unwrap().contains(&json!("similar_name_same_address")), "{}", report.text);
    let check = app
        .post(
            "/v1/companies/duplicates",
            &app.admin_key,
            json!({"inputs": [{"name": "ARTS DELI", "addresses": street("12224 ventura blvd")}]}),
        )
        .await;
    check.expect(200);
    assert_eq!(check.body["inputs"][0]["matches"].as_array().unwrap().len(), 2, "{}", check.text);
}

async fn merge_moves_everything_to_the_survivor(app: TestApp) {
    let survivor = create(&app, "/v1/contacts", json!({"first_name": "Ada", "emails": [{"address": "ada@example.com"}], "tags": ["vip"], "lifecycle_stage": "lead"})).await;
    let loser = create(
        &app,
        "/v1/contacts",
        json!({"first_name": "Augusta Ada", "last_name": "King", "job_title": "Countess", "emails": [{"address": "ada@work.example"}],
            "tags": ["uk"], "external_ids": {"shopify": "42"}, "lifecycle_stage": "customer"}),
    )
    .await;
    let company = create(&app, "/v1/companies", json!({"name": "Analytical Engines"})).await;
    app.send(
        app.client.put(app.url(&format!("/v1/contacts/{loser}/companies/{company}"))).json(&json!({"role": "Founder"})),
        &app.admin_key,
    )
    .await
    .expect(200);
    let note =
        create(&app, "/v1/activities", json!({"kind": "note", "body": "Met at the salon", "contact_ids": [loser]}))
            .await;
    let path = format!("/v1/contacts/{survivor}/merge");

    // A dry run shows the result and changes nothing.
    let (events, audit) = (app.count("events"), app.count("audit_log"));
    let preview = app.post(&path, &app.sales_token, json!({"merge_ids": [loser], "dry_run": true})).await;
    preview.expect(200);
    assert_eq!(preview.body["dry_run"], true);
    assert_eq!(preview.body["contact"]["last_name"], "King");
    assert_eq!(preview.body["moved_activities"], 1);
    assert_eq!((app.count("events"), app.count("audit_log")), (events, audit));
    app.get(&format!("/v1/contacts/{loser}"), &app.admin_key).await.expect(200);

    let merged =
        app.post(&path, &app.sales_token, json!({"merge_ids": [loser], "prefer": {"first_name": loser}})).await;
    merged.expect(200);
    let contact = &merged.body["contact"];
    assert_eq!(contact["first_name"], "Augusta Ada");
    assert_eq!(contact["last_name"], "King");
    assert_eq!(contact["job_title"], "Countess");
    assert_eq!(contact["email"], "ada@example.com", "the survivor's primary e-mail stays primary");
    assert_eq!(contact["emails"].as_array().unwrap().len(), 2);
    assert_eq!(contact["tags"], json!(["vip", "uk"]));
    assert_eq!(contact["external_ids"], json!({"shopify": "42"}));
    assert_eq!(contact["lifecycle_stage"], "customer", "the furthest stage wins");
    assert_eq!(
        (merged.body["moved_activities"].as_i64(), merged.body["moved_company_links"].as_i64()),
        (Some(1), Some(1))
    );

    // The loser answers with a pointer to the survivor; its links and activities moved.
    let gone = app
        .send(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .get(app.url(&format!("/v1/contacts/{loser}"))),
            &app.admin_key,
        )
        .await;
    assert_eq!(gone.status, 301);
    assert_eq!(gone.header("location"), Some(format!("/v1/contacts/{survivor}").as_str()));
    assert_eq!(gone.body["merged_into"], survivor.as_str());
    let companies = app.get(&format!("/v1/contacts/{survivor}/companies"), &app.admin_key).await;
    assert_eq!(
        companies.body["data"][0]["company"]["id"].as_str().or(companies.body["data"][0]["company_id"].as_str()),
        Some(company.as_str()),
        "{}",
        companies.text
    );
    let activity = app.get(&format!("/v1/activities/{note}"), &app.admin_key).await;
    assert!(activity.text.contains(&survivor) && !activity.text.contains(&loser), "{}", activity.text);
    let shopify = app.get("/v1/contacts?email=ada@work.example", &app.admin_key).await;
    assert_eq!(shopify.body["data"][0]["id"], survivor.as_str());
    // Events and audit: the loser is deleted, the survivor updated and merged.
    let types = app.event_types();
    assert!(
        types.ends_with(&["contact.deleted".into(), "contact.updated".into(), "contact.merged".into()]),
        "{types:?}"
    );
    app.post(&format!("/v1/contacts/{loser}/restore"), &app.admin_key, json!({})).await.expect_problem(409, "merged");
    // Merging again with a merged contact is refused.
    app.post(&path, &app.admin_key, json!({"merge_ids": [loser]})).await.expect_problem(422, "validation_failed");
}

async fn merge_rejects_bad_requests(app: TestApp) {
    let a = create(&app, "/v1/contacts", json!({"first_name": "A"})).await;
    let b = create(&app, "/v1/contacts", json!({"first_name": "B"})).await;
    let path = format!("/v1/contacts/{a}/merge");
    let events = app.count("events");
    let same = app.post(&path, &app.admin_key, json!({"merge_ids": [a]})).await;
    same.expect_problem(422, "validation_failed");
    assert_eq!(same.body["errors"][0]["pointer"], "/merge_ids/0");
    let prefer = app.post(&path, &app.admin_key, json!({"merge_ids": [b], "prefer": {"colour": b}})).await;
    assert_eq!(prefer.body["errors"][0]["pointer"], "/prefer/colour");
    let stranger =
        app.post(&path, &app.admin_key, json!({"merge_ids": [b], "prefer": {"first_name": "con_nobody"}})).await;
    stranger.expect_problem(422, "validation_failed");
    app.post(&path, &app.admin_key, json!({"merge_ids": []})).await.expect(422);
    app.post(&path, &app.read_only_token, json!({"merge_ids": [b]})).await.expect(403);
    app.post(&path, &app.other_org_key, json!({"merge_ids": [b]})).await.expect(404);
    assert_eq!(app.count("events"), events, "nothing changed");
    app.get(&format!("/v1/contacts/{b}"), &app.admin_key).await.expect(200);
}
