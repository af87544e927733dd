//! Companies and their links to contacts.

use serde_json::json;

use crate::both;
use crate::support::TestApp;

both!(company_lifecycle, company_validation_and_hierarchy, contacts_link_to_companies, concurrent_links_and_unlinks);

async fn company_lifecycle(app: TestApp) {
    let created = app
        .post(
            "/v1/companies",
            &app.sales_token,
            json!({"name": " Acme Corporation ", "domain": "https://www.ACME.example/about", "industry": "Manufacturing",
                   "employee_count": 250, "annual_revenue": {"amount": 1250000000, "currency": "USD"}, "tags": ["enterprise"]}),
        )
        .await;
    created.expect(201);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("co_"));
    assert_eq!(created.body["name"], "Acme Corporation");
    assert_eq!(created.body["domain"], "acme.example");
    assert_eq!(created.body["annual_revenue"], json!({"amount": 1250000000, "currency": "USD"}));
    assert_eq!(app.event_types().last().map(String::as_str), Some("company.created"));

    let duplicate =
        app.post("/v1/companies", &app.admin_key, json!({"name": "Acme again", "domain": "acme.example"})).await;
    duplicate.expect_problem(409, "duplicate_company");
    assert!(duplicate.body["detail"].as_str().unwrap().contains(&id));

    let path = format!("/v1/companies/{id}");
    let patched = app.patch(&path, &app.admin_key, json!({"annual_revenue": null, "employee_count": 300})).await;
    patched.expect(200);
    assert!(patched.body["annual_revenue"].is_null());
    assert_eq!(patched.body["employee_count"], 300);
    assert_eq!(patched.body["domain"], "acme.example");
    app.send(app.client.patch(app.url(&path)).header("If-Match", "\"1\"").json(&json!({"name": "X"})), &app.admin_key)
        .await
        .expect(412);

    app.post("/v1/companies", &app.admin_key, json!({"name": "Beta", "industry": "Retail"})).await.expect(201);
    let listed = app.get("/v1/companies?sort=-name", &app.admin_key).await;
    let names: Vec<&str> =
        listed.body["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Beta", "Acme Corporation"]);
    let by_domain = app.get("/v1/companies?domain=WWW.acme.example", &app.admin_key).await;
    assert_eq!(by_domain.body["data"][0]["id"], id.as_str());
    let retail = app.get("/v1/companies?industry=Retail", &app.admin_key).await;
    assert_eq!(retail.body["data"].as_array().unwrap().len(), 1);

    app.get(&path, &app.other_org_key).await.expect(404);
    app.patch(&path, &app.other_org_key, json!({"name": "Stolen"})).await.expect(404);
    app.post("/v1/companies", &app.read_only_token, json!({"name": "No"})).await.expect(403);

    assert_eq!(app.send(app.client.delete(app.url(&path)), &app.admin_key).await.status, 204);
    app.get(&path, &app.admin_key).await.expect(404);
    // Its domain is free again.
    app.post("/v1/companies", &app.admin_key, json!({"name": "Acme reborn", "domain": "acme.example"}))
        .await
        .expect(201);

    // A create answers what is stored (built from what it writes, not read back), what hangs
    // off it included; an external id another company holds is a 409 that writes nothing.
    let field = json!({"record_type": "company", "key": "tier", "label": "Tier", "type": "text"});
    app.post("/v1/custom-fields", &app.admin_key, field).await.expect(201);
    let full = json!({"name": "Gamma", "tags": ["x", "y"], "external_ids": {"erp": "G-1"}, "custom": {"tier": "gold"},
                      "owner_id": app.sales_id});
    let created = app.post("/v1/companies", &app.admin_key, full).await;
    created.expect(201);
    let path = format!("/v1/companies/{}", created.body["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &app.admin_key).await.body, created.body);
    assert_eq!(created.body["custom"], json!({"tier": "gold"}));
    let (companies, tags) = (app.count("companies"), app.count("record_tags"));
    let taken = json!({"name": "Gamma 2", "tags": ["z"], "external_ids": {"erp": "G-1"}});
    app.post("/v1/companies", &app.admin_key, taken).await.expect_problem(409, "external_id_taken");
    assert_eq!((app.count("companies"), app.count("record_tags")), (companies, tags));
    let found = app.get("/v1/search?q=gamma", &app.admin_key).await;
    assert_eq!(found.body["data"][0]["id"], created.body["id"]);
}

async fn company_validation_and_hierarchy(app: TestApp) {
    let before = app.count("companies");
    let cases = [
        (json!({"name": ""}), "/name"),
        (json!({"domain": "acme.example"}), "/name"),
        (json!({"name": "A", "domain": "not a domain"}), "/domain"),
        (json!({"name": "A", "employee_count": -1}), "/employee_count"),
        (json!({"name": "A", "annual_revenue": {"amount": 10, "currency": "euro"}}), "/annual_revenue/currency"),
        (json!({"name": "A", "annual_revenue": {"amount": 1.5, "currency": "EUR"}}), "/annual_revenue/amount"),
        (json!({"name": "A", "parent_id": "co_nothere"}), "/parent_id"),
        (json!({"name": "A", "size": "big"}), "/size"),
    ];
    for (body, pointer) in cases {
        let reply = app.post("/v1/companies", &app.admin_key, body.clone()).await;
        reply.expect(422);
        let pointers: Vec<&str> =
            reply.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert!(pointers.contains(&pointer), "{body} gave {pointers:?}");
    }
    assert_eq!(app.count("companies"), before);

    let parent = app.post("/v1/companies", &app.admin_key, json!({"name": "Holding"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let child = app.post("/v1/companies", &app.admin_key, json!({"name": "Subsidiary", "parent_id": parent})).await;
    child.expect(201);
    let child = child.body["id"].as_str().unwrap().to_string();
    let subsidiaries = app.get(&format!("/v1/companies?parent_id={parent}"), &app.admin_key).await;
    assert_eq!(subsidiaries.body["data"][0]["id"], child.as_str());
    // No cycles, and no orphaned subsidiaries.
    app.patch(&format!("/v1/companies/{parent}"), &app.admin_key, json!({"parent_id": child})).await.expect(422);
    app.patch(&format!("/v1/companies/{parent}"), &app.admin_key, json!({"parent_id": parent})).await.expect(422);
    app.send(app.client.delete(app.url(&format!("/v1/companies/{parent}"))), &app.admin_key)
        .await
        .expect_problem(409, "has_subsidiaries");
    // Another organization's company cannot be a parent.
    let foreign = app.post("/v1/companies", &app.other_org_key, json!({"name": "Foreign"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(&format!("/v1/companies/{child}"), &app.admin_key, json!({"parent_id": foreign})).await.expect(422);
}

async fn contacts_link_to_companies(app: TestApp) {
    let contact = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Lin"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let acme = app.post("/v1/companies", &app.admin_key, json!({"name": "Acme"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let beta = app.post("/v1/companies", &app.admin_key, json!({"name": "Beta"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = |company: &str, body| {
        let url = app.url(&format!("/v1/contacts/{contact}/companies/{company}"));
        app.send(app.client.put(url).json(&body), &app.admin_key)
    };

    let first = link(&acme, json!({"role": "Buyer"})).await;
    first.expect(200);
    assert_eq!(first.body["primary"], true, "a contact's first company is primary");
    let second = link(&beta, json!({"role": "Advisor"})).await;
    assert_eq!(second.body["primary"], false);
    link(&beta, json!({"role": "Board member", "primary": true})).await.expect(200);
    let events = app.count("events");
    link(&beta, json!({"role": "Board member", "primary": true})).await.expect(200);
    assert_eq!(app.count("events"), events, "the same link again writes nothing");

    let companies = app.get(&format!("/v1/contacts/{contact}/companies"), &app.admin_key).await;
    companies.expect(200);
    let data = companies.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["company"]["id"], beta.as_str());
    assert_eq!(data[0]["role"], "Board member");
    assert_eq!(data[0]["primary"], true);
    assert_eq!(data[1]["primary"], false);

    let at_acme = app.get(&format!("/v1/contacts?company_id={acme}"), &app.admin_key).await;
    assert_eq!(at_acme.body["data"][0]["id"], contact.as_str());
    assert!(app.event_types().contains(&"contact.company_linked".to_string()));

    let unlinked =
        app.send(app.client.delete(app.url(&format!("/v1/contacts/{contact}/companies/{acme}"))), &app.admin_key).await;
    assert_eq!(unlinked.status, 204);
    app.send(app.client.delete(app.url(&format!("/v1/contacts/{contact}/companies/{acme}"))), &app.admin_key)
        .await
        .expect(404);
    assert_eq!(app.get(&format!("/v1/contacts?company_id={acme}"), &app.admin_key).await.body["data"], json!([]));

    link("co_missing", json!({})).await.expect(404);
    let foreign = app.post("/v1/companies", &app.other_org_key, json!({"name": "Foreign"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    link(&foreign, json!({})).await.expect(404);
    app.get(&format!("/v1/contacts/{contact}/companies"), &app.other_org_key).await.expect(404);
    link(&acme, json!({"role": "x".repeat(101)})).await.expect(422);
}

/// Concurrent first links of one contact: exactly one becomes primary. Concurrent unlinks of
/// one link: one 204, the rest 404, one event.
async fn concurrent_links_and_unlinks(app: TestApp) {
    let id = |reply: crate::support::Reply| reply.body["id"].as_str().unwrap().to_string();
    let contact = id(app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada"})).await);
    let mut companies = Vec::new();
    for name in ["Acme", "Globex", "Initech", "Umbrella"] {
        companies.push(id(app.post("/v1/companies", &app.admin_key, json!({"name": name})).await));
    }
    let links = companies.iter().map(|company| {
        let url = app.url(&format!("/v1/contacts/{contact}/companies/{company}"));
        app.send(app.client.put(url).json(&json!({})), &app.admin_key)
    });
    for reply in futures_util::future::join_all(links).await {
        reply.expect(200);
    }
    let listed = app.get(&format!("/v1/contacts/{contact}/companies"), &app.admin_key).await;
    let primaries = listed.body["data"].as_array().unwrap().iter().filter(|l| l["primary"] == true).count();
    assert_eq!(primaries, 1, "{}", listed.text);

    let url = app.url(&format!("/v1/contacts/{contact}/companies/{}", companies[0]));
    let unlinks = (0..4).map(|_| app.send(app.client.delete(url.clone()), &app.admin_key));
    let statuses: Vec<u16> = futures_util::future::join_all(unlinks).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 3, "{statuses:?}");
    let unlinked = app.event_types().iter().filter(|t| *t == "contact.company_unlinked").count();
    assert_eq!(unlinked, 1);
}
