//! The filter language through `POST /v1/contacts/search` and `/v1/companies/search`.

use serde_json::{Value, json};

use crate::both;
use crate::support::{Reply, TestApp};

both!(contacts_search, companies_search, bad_filters_are_422);

fn ids_of(reply: &Reply, key: &str) -> Vec<String> {
    reply.body["data"].as_array().unwrap().iter().map(|c| c[key].as_str().unwrap_or("").to_string()).collect()
}

async fn contacts_search(app: TestApp) {
    let people = [
        json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@analytical.example"}], "lifecycle_stage": "customer", "tags": ["vip"]}),
        json!({"first_name": "Alan", "last_name": "Turing", "emails": [{"address": "alan@bletchley.example"}], "lifecycle_stage": "lead", "tags": ["vip", "uk"]}),
        json!({"first_name": "Grace", "last_name": "Hopper", "phones": [{"number": "+1 415 555 2671"}], "lifecycle_stage": "customer"}),
        json!({"first_name": "Edsger", "last_name": "Dijkstra", "lifecycle_stage": "evangelist", "job_title": "Professor_1"}),
    ];
    for person in people {
        app.post("/v1/contacts", &app.admin_key, person).await.expect(201);
    }
    let search = |body: Value| app.post("/v1/contacts/search", &app.read_only_token, body);

    let customers =
        search(json!({"filter": {"field": "lifecycle_stage", "op": "eq", "value": "customer"}, "sort": "name"})).await;
    customers.expect(200);
    assert_eq!(ids_of(&customers, "first_name"), ["Grace", "Ada"]);

    let vip_or_evangelist = search(json!({
        "filter": {"any": [{"field": "tags", "op": "contains", "value": "vip"}, {"field": "lifecycle_stage", "op": "in", "value": ["evangelist"]}]},
        "sort": "name"
    }))
    .await;
    assert_eq!(ids_of(&vip_or_evangelist, "first_name"), ["Edsger", "Ada", "Alan"]);

    let not_vip =
        search(json!({"filter": {"not": {"field": "tags", "op": "contains", "value": "vip"}}, "sort": "name"})).await;
    assert_eq!(ids_of(&not_vip, "first_name"), ["Edsger", "Grace"]);

    let text = search(json!({"query": "BLETCHLEY"})).await;
    assert_eq!(ids_of(&text, "first_name"), ["Alan"]);
    let by_phone = search(json!({"query": "555"})).await;
    assert_eq!(ids_of(&by_phone, "first_name"), ["Grace"]);
    let both_ways = search(
        json!({"query": "a", "filter": {"field": "lifecycle_stage", "op": "ne", "value": "lead"}, "sort": "-name"}),
    )
    .await;
    assert_eq!(ids_of(&both_ways, "first_name"), ["Ada", "Grace", "Edsger"]);

    // LIKE wildcards in the text are matched literally.
    let underscore = search(json!({"filter": {"field": "job_title", "op": "contains", "value": "r_1"}})).await;
    assert_eq!(ids_of(&underscore, "first_name"), ["Edsger"]);
    let wildcard = search(json!({"filter": {"field": "job_title", "op": "contains", "value": "%"}})).await;
    assert_eq!(wildcard.body["data"], json!([]));

    let recent = search(json!({"filter": {"all": [
        {"field": "created_at", "op": "gte", "value": "2000-01-01T00:00:00Z"},
        {"field": "job_title", "op": "is_set", "value": false}
    ]}, "limit": 2, "sort": "name"}))
    .await;
    assert_eq!(ids_of(&recent, "first_name"), ["Grace", "Ada"]);
    let cursor = recent.body["next_cursor"].as_str().unwrap();
    let rest = search(json!({"filter": {"all": [
        {"field": "created_at", "op": "gte", "value": "2000-01-01T00:00:00Z"},
        {"field": "job_title", "op": "is_set", "value": false}
    ]}, "limit": 2, "sort": "name", "cursor": cursor}))
    .await;
    assert_eq!(ids_of(&rest, "first_name"), ["Alan"]);

    // Another organization's search sees none of it.
    let theirs = app.post("/v1/contacts/search", &app.other_org_key, json!({"query": "a"})).await;
    assert_eq!(theirs.body["data"], json!([]));
    let tags_elsewhere = app
        .post(
            "/v1/contacts/search",
            &app.other_org_key,
            json!({"filter": {"field": "tags", "op": "contains", "value": "vip"}}),
        )
        .await;
    assert_eq!(tags_elsewhere.body["data"], json!([]));
}

async fn companies_search(app: TestApp) {
    for (name, employees, domain) in
        [("Small Co", 8, "small.example"), ("Mid Co", 120, "mid.example"), ("Big Co", 5000, "big.example")]
    {
        app.post("/v1/companies", &app.admin_key, json!({"name": name, "employee_count": employees, "domain": domain}))
            .await
            .expect(201);
    }
    let search = |body: Value| app.post("/v1/companies/search", &app.admin_key, body);
    let mid_size = search(json!({"filter": {"all": [{"field": "employee_count", "op": "gt", "value": 10}, {"field": "employee_count", "op": "lte", "value": 5000}]}, "sort": "name"})).await;
    assert_eq!(ids_of(&mid_size, "name"), ["Big Co", "Mid Co"]);
    let by_domain = search(json!({"query": "mid.exa"})).await;
    assert_eq!(ids_of(&by_domain, "name"), ["Mid Co"]);
    let in_list = search(json!({"filter": {"field": "employee_count", "op": "not_in", "value": [8, 5000]}})).await;
    assert_eq!(ids_of(&in_list, "name"), ["Mid Co"]);
}

async fn bad_filters_are_422(app: TestApp) {
    let cases = [
        (json!({"filter": {"field": "password", "op": "eq", "value": "x"}}), "/filter/field"),
        (json!({"filter": {"all": [{"field": "first_name", "op": "gt", "value": "x"}]}}), "/filter/all/0/op"),
        (json!({"filter": {"field": "lifecycle_stage", "op": "eq", "value": "royalty"}}), "/filter/value"),
        (json!({"filter": {"field": "created_at", "op": "lt", "value": "last week"}}), "/filter/value"),
        (json!({"filter": {"field": "lifecycle_stage", "op": "in", "value": []}}), "/filter/value"),
        (json!({"filter": {"any": []}}), "/filter/any"),
        (
            json!({"filter": {"not": {"not": {"not": {"not": {"not": {"not": {"field": "first_name", "op": "eq", "value": "x"}}}}}}}}),
            "/filter/not/not/not/not/not/not",
        ),
        (json!({"filter": {"field": "first_name", "op": "eq", "value": "x"}, "colour": "red"}), "/colour"),
    ];
    for (body, pointer) in cases {
        let reply = app.post("/v1/contacts/search", &app.admin_key, body.clone()).await;
        reply.expect(422);
        let pointers: Vec<&str> =
            reply.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert!(pointers.contains(&pointer), "{body} gave {pointers:?}");
    }
    app.post("/v1/contacts/search", &app.admin_key, json!({"sort": "password"}))
        .await
        .expect_problem(400, "invalid_sort");
    // With free text beside it, a filter's errors still point into /filter.
    let with_text = app
        .post(
            "/v1/contacts/search",
            &app.admin_key,
            json!({"query": "a", "filter": {"field": "colour", "op": "eq", "value": "x"}}),
        )
        .await;
    assert_eq!(with_text.body["errors"][0]["pointer"], "/filter/field");
    app.post(
        "/v1/companies/search",
        &app.admin_key,
        json!({"filter": {"field": "employee_count", "op": "eq", "value": "many"}}),
    )
    .await
    .expect(422);
}
