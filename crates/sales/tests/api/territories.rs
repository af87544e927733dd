//! Territories: companies by country, region, industry and size, aligned by a job that gives
//! them and their open deals the territory's owner; a new deal takes its company's territory
//! owner.

use std::time::Duration;

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, events, id};

/// The territory's companies once the alignment job put `want` of them there.
async fn aligned(app: &TestApp, territory: &str, want: usize) -> Vec<Value> {
    let url = format!("/v1/territories/{territory}/companies");
    let mut companies = Vec::new();
    for _ in 0..100 {
        let page = app.get(&url, &app.admin_key).await;
        page.expect(200);
        companies = page.body["data"].as_array().unwrap().clone();
        if companies.len() == want {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(companies.len(), want, "{companies:?}");
    companies
}

async fn owner_of(app: &TestApp, path: &str) -> Value {
    app.get(path, &app.admin_key).await.body["owner_id"].clone()
}

async fn companies_and_their_deals_follow_their_territory(app: TestApp) {
    let (ann, _) = app.new_user("ann@example.com", "sales");
    let (bob, _) = app.new_user("bob@example.com", "sales");

    // The companies and a deal exist before any territory: the first alignment moves them.
    let company = |name: &str, country: &str, employees: i64| {
        app.post(
            "/v1/companies",
            &app.admin_key,
            json!({"name": name, "industry": "manufacturing", "employee_count": employees,
                   "addresses": [{"city": "x", "country": country}]}),
        )
    };
    let acme = id(&company("Acme GmbH", "DE", 500).await.body).to_string();
    let small = id(&company("Kleinbetrieb", "DE", 12).await.body).to_string();
    let globex = id(&company("Globex", "US", 900).await.body).to_string();
    let open = app
        .post("/v1/deals", &app.sales_token, json!({"name": "Acme: presses", "company_id": acme, "owner_id": bob}))
        .await;
    open.expect(201);
    let open = id(&open.body).to_string();
    assert_eq!(owner_of(&app, &format!("/v1/deals/{open}")).await, json!(bob));

    let create = |body| app.post("/v1/territories", &app.admin_key, body);
    let bad = create(json!({"name": "x", "countries": ["Germany"], "min_employees": 10, "max_employees": 5})).await;
    bad.expect(422);
    assert!(bad.text.contains("/countries/0") && bad.text.contains("/max_employees"), "{}", bad.text);
    create(json!({"name": "x", "owner_id": "user_nobody"})).await.expect(422);
    create(json!({"name": "x", "shoe_size": 3})).await.expect_problem(422, "validation_failed");
    app.post("/v1/territories", &app.sales_token, json!({"name": "x"})).await.expect(403);
    assert_eq!(app.count("territories"), 0, "bad input changes nothing");

    let dach =
        create(json!({"name": "DACH enterprise", "countries": ["de", "AT", "CH"], "industries": ["Manufacturing"],
        "min_employees": 100, "owner_id": ann, "priority": 10}))
        .await;
    dach.expect(201);
    assert_eq!(dach.body["countries"], json!(["DE", "AT", "CH"]));
    assert_eq!(dach.body["industries"], json!(["manufacturing"]));
    let rest = create(json!({"name": "Everyone else", "owner_id": bob})).await;
    rest.expect(201);
    let (dach, rest) = (id(&dach.body).to_string(), id(&rest.body).to_string());
    app.get(&format!("/v1/territories/{dach}"), &app.other_org_key).await.expect(404);
    app.get(&format!("/v1/territories/{dach}/companies"), &app.other_org_key).await.expect(404);

    // The alignment: Acme is DACH's (it and its open deal go to Ann), the others the rest's.
    app.post("/v1/territories/align", &app.sales_token, json!({})).await.expect(403);
    let queued = app.post("/v1/territories/align", &app.admin_key, json!({})).await;
    queued.expect(202);
    assert!(queued.body["job_id"].as_str().unwrap().starts_with("job_"));
    let in_dach = aligned(&app, &dach, 1).await;
    assert_eq!((in_dach[0]["company_id"].as_str(), &in_dach[0]["owner_id"]), (Some(acme.as_str()), &json!(ann)));
    let mut in_rest: Vec<String> =
        aligned(&app, &rest, 2).await.iter().map(|a| a["company_id"].as_str().unwrap().to_string()).collect();
    in_rest.sort();
    let mut expected = vec![small.clone(), globex.clone()];
    expected.sort();
    assert_eq!(in_rest, expected);
    assert_eq!(owner_of(&app, &format!("/v1/companies/{acme}")).await, json!(ann));
    assert_eq!(owner_of(&app, &format!("/v1/companies/{globex}")).await, json!(bob));
    assert_eq!(owner_of(&app, &format!("/v1/deals/{open}")).await, json!(ann));
    let moved = events(&app, "deal.updated").await;
    assert!(moved.iter().any(|(_, of)| *of == open), "{moved:?}");

    // A new deal of a DACH company without an owner is Ann's; one with an owner keeps it.
    let new = app.post("/v1/deals", &app.admin_key, json!({"name": "Acme: spares", "company_id": acme})).await;
    assert_eq!(new.body["owner_id"], json!(ann), "{}", new.text);
    let given = app
        .post("/v1/deals", &app.admin_key, json!({"name": "Acme: service", "company_id": acme, "owner_id": bob}))
        .await;
    assert_eq!(given.body["owner_id"], json!(bob));

    // A company reassigned by hand keeps its owner while its territory stays the same...
    app.patch(&format!("/v1/companies/{globex}"), &app.admin_key, json!({"owner_id": ann})).await.expect(200);
    // ...and a new owner of the territory realigns its companies.
    let url = format!("/v1/territories/{dach}");
    let changed = app.patch(&url, &app.admin_key, json!({"owner_id": bob, "countries": null})).await;
    changed.expect(200);
    assert_eq!(changed.body["countries"], json!([]));
    for _ in 0..100 {
        if owner_of(&app, &format!("/v1/companies/{acme}")).await == json!(bob) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(owner_of(&app, &format!("/v1/companies/{acme}")).await, json!(bob));
    // Countries dropped, Globex (manufacturing, 900 people) is DACH's now, and Bob's.
    aligned(&app, &dach, 2).await;
    assert_eq!(owner_of(&app, &format!("/v1/companies/{globex}")).await, json!(bob));
    assert_eq!(owner_of(&app, &format!("/v1/companies/{small}")).await, json!(bob));

    // Deleted, its companies leave it and fall to the next territory.
    app.delete(&url, &app.admin_key).await.expect(204);
    app.get(&url, &app.admin_key).await.expect(404);
    aligned(&app, &rest, 3).await;
    let kinds: Vec<String> = events(&app, "territory.*").await.into_iter().map(|(t, _)| t).collect();
    assert_eq!(kinds, ["territory.created", "territory.created", "territory.updated", "territory.deleted"]);
    crate::assert_totals_match(&app);
}

both!(companies_and_their_deals_follow_their_territory);
