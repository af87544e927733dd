//! Custom fields: definitions, values checked on write, filters and sorts on `custom.<key>`,
//! and changes of definitions that leave stored values alone.

use serde_json::{Value, json};

use crate::both;
use crate::support::{Reply, TestApp};

both!(definitions_and_values, filters_and_sorts, rule_changes_and_archiving_keep_values, companies_take_custom_values);

fn names(reply: &Reply) -> Vec<String> {
    reply.body["data"].as_array().unwrap().iter().map(|c| c["first_name"].as_str().unwrap_or("").to_string()).collect()
}

async fn define(app: &TestApp, body: Value) -> String {
    let reply = app.post("/v1/custom-fields", &app.admin_key, body).await;
    reply.expect(201);
    reply.body["id"].as_str().unwrap().to_string()
}

async fn definitions_and_values(app: TestApp) {
    let tier = json!({"record_type": "contact", "key": "tier", "label": "Tier", "type": "select",
        "options": [{"value": "gold", "label": "Gold"}, {"value": "silver"}]});
    // Only admins define fields; everyone reads them.
    app.post("/v1/custom-fields", &app.sales_token, tier.clone()).await.expect_problem(403, "forbidden");
    let tier_id = define(&app, tier.clone()).await;
    app.post("/v1/custom-fields", &app.admin_key, tier).await.expect_problem(409, "duplicate_custom_field");
    let read = app.get(&format!("/v1/custom-fields/{tier_id}"), &app.read_only_token).await;
    read.expect(200);
    assert_eq!(read.body["options"][0], json!({"value": "gold", "label": "Gold"}));
    app.get(&format!("/v1/custom-fields/{tier_id}"), &app.other_org_key).await.expect_problem(404, "not_found");

    // Bad definitions are 422 with a pointer, and nothing is stored.
    let before = app.count("custom_field_definitions");
    for (body, pointer) in [
        (json!({"record_type": "contact", "key": "Bad Key", "label": "x", "type": "text"}), "/key"),
        (json!({"record_type": "contact", "key": "s", "label": "x", "type": "select"}), "/options"),
        (json!({"record_type": "contact", "key": "n", "label": "x", "type": "number", "min": 5, "max": 1}), "/max"),
        (json!({"record_type": "contact", "key": "p", "label": "x", "type": "text", "pattern": "("}), "/pattern"),
        (json!({"record_type": "contact", "key": "b", "label": "x", "type": "boolean", "min": 1}), "/min"),
        // Activities are registered, but take no custom fields; spaceships are not registered.
        (json!({"record_type": "activity", "key": "a", "label": "x", "type": "text"}), "/record_type"),
        (json!({"record_type": "spaceship", "key": "d", "label": "x", "type": "text"}), "/record_type"),
    ] {
        let reply = app.post("/v1/custom-fields", &app.admin_key, body).await;
        reply.expect_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["pointer"], pointer, "{}", reply.text);
    }
    assert_eq!(app.count("custom_field_definitions"), before);
    app.get("/v1/custom-fields?record_type=spaceship", &app.admin_key).await.expect_problem(400, "invalid_record_type");

    define(
        &app,
        json!({"record_type": "contact", "key": "seats", "label": "Seats", "type": "number", "min": 1, "max": 1000}),
    )
    .await;
    define(&app, json!({"record_type": "contact", "key": "renewal", "label": "Renewal", "type": "date"})).await;
    define(
        &app,
        json!({"record_type": "contact", "key": "code", "label": "Code", "type": "text", "pattern": "[A-Z]{3}-[0-9]+"}),
    )
    .await;
    define(&app, json!({"record_type": "contact", "key": "site", "label": "Site", "type": "url"})).await;
    define(&app, json!({"record_type": "contact", "key": "assistant", "label": "Assistant", "type": "email"})).await;
    define(
        &app,
        json!({"record_type": "contact", "key": "products", "label": "Products", "type": "multi_select",
        "options": [{"value": "crm"}, {"value": "erp"}, {"value": "hr"}], "max": 2}),
    )
    .await;

    let created = app
        .post(
            "/v1/contacts",
            &app.sales_token,
            json!({"first_name": "Ada", "custom": {"tier": "gold", "seats": 12, "renewal": "2027-03-01",
                "code": "ABC-12", "site": "https://ada.example", "assistant": "Bob@Example.COM", "products": ["crm", "erp"]}}),
        )
        .await;
    created.expect(201);
    assert_eq!(created.body["custom"]["assistant"], "bob@example.com");
    assert_eq!(created.body["custom"]["seats"], 12);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/v1/contacts/{id}"), &app.read_only_token).await.body["custom"],
        created.body["custom"]
    );

    // Every rule is checked, each failure points at its value, and nothing is written.
    let (contacts, events) = (app.count("contacts"), app.count("events"));
    let bad = app
        .post(
            "/v1/contacts",
            &app.sales_token,
            json!({"first_name": "Bad", "custom": {"tier": "platinum", "seats": 0, "renewal": "2027-13-01", "code": "abc",
                "site": "ftp://x", "assistant": "nope", "products": ["crm", "erp", "hr"], "colour": "red"}}),
        )
        .await;
    bad.expect_problem(422, "validation_failed");
    let mut pointers: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/custom/assistant",
            "/custom/code",
            "/custom/colour",
            "/custom/products",
            "/custom/renewal",
            "/custom/seats",
            "/custom/site",
            "/custom/tier"
        ]
    );
    assert_eq!((app.count("contacts"), app.count("events")), (contacts, events));

    // A patch merges key by key; null removes one value.
    let patched = app
        .patch(&format!("/v1/contacts/{id}"), &app.sales_token, json!({"custom": {"seats": 20, "code": null}}))
        .await;
    patched.expect(200);
    assert_eq!(patched.body["custom"]["seats"], 20);
    assert_eq!(patched.body["custom"]["tier"], "gold");
    assert!(patched.body["custom"].get("code").is_none());
    // The change is audited field by field and emitted.
    assert_eq!(app.event_types().last().unwrap(), "contact.updated");

    // A required field must be given on create.
    define(
        &app,
        json!({"record_type": "contact", "key": "region", "label": "Region", "type": "text", "required": true}),
    )
    .await;
    app.post("/v1/contacts", &app.sales_token, json!({"first_name": "Grace"}))
        .await
        .expect_problem(422, "validation_failed");
    // ...but records from before the rule can still be edited without it.
    app.patch(&format!("/v1/contacts/{id}"), &app.sales_token, json!({"job_title": "Countess"})).await.expect(200);
    // Read-only users cannot set values; another organization cannot see the field.
    app.patch(&format!("/v1/contacts/{id}"), &app.read_only_token, json!({"custom": {"seats": 3}})).await.expect(403);
    let other =
        app.post("/v1/contacts", &app.other_org_key, json!({"first_name": "Eve", "custom": {"tier": "gold"}})).await;
    other.expect_problem(422, "validation_failed");
    assert_eq!(other.body["errors"][0]["code"], "unknown_custom_field");
}

async fn filters_and_sorts(app: TestApp) {
    define(&app, json!({"record_type": "contact", "key": "score", "label": "Score", "type": "decimal"})).await;
    define(
        &app,
        json!({"record_type": "contact", "key": "plan", "label": "Plan", "type": "select",
        "options": [{"value": "free"}, {"value": "pro"}]}),
    )
    .await;
    define(&app, json!({"record_type": "contact", "key": "active", "label": "Active", "type": "boolean"})).await;
    define(
        &app,
        json!({"record_type": "contact", "key": "langs", "label": "Languages", "type": "multi_select",
        "options": [{"value": "en"}, {"value": "fr"}, {"value": "de"}]}),
    )
    .await;
    define(&app, json!({"record_type": "contact", "key": "since", "label": "Since", "type": "datetime"})).await;
    for (name, custom) in [
        (
            "Ada",
            json!({"score": 9.5, "plan": "pro", "active": true, "langs": ["en", "fr"], "since": "2020-01-01T00:00:00Z"}),
        ),
        (
            "Alan",
            json!({"score": 7.25, "plan": "free", "active": false, "langs": ["en"], "since": "2021-06-01T12:00:00+02:00"}),
        ),
        ("Grace", json!({"score": 10, "plan": "pro", "langs": ["de"]})),
        ("Edsger", json!({})),
    ] {
        app.post("/v1/contacts", &app.admin_key, json!({"first_name": name, "custom": custom})).await.expect(201);
    }
    let search = |body: Value| app.post("/v1/contacts/search", &app.read_only_token, body);
    let found = |filter: Value, sort: &str| search(json!({"filter": filter, "sort": sort}));

    assert_eq!(
        names(&found(json!({"field": "custom.plan", "op": "eq", "value": "pro"}), "name").await),
        ["Ada", "Grace"]
    );
    assert_eq!(
        names(&found(json!({"field": "custom.plan", "op": "ne", "value": "pro"}), "name").await),
        ["Alan", "Edsger"]
    );
    assert_eq!(names(&found(json!({"field": "custom.score", "op": "gt", "value": 8}), "name").await), ["Ada", "Grace"]);
    assert_eq!(names(&found(json!({"field": "custom.score", "op": "lte", "value": 7.25}), "name").await), ["Alan"]);
    assert_eq!(names(&found(json!({"field": "custom.active", "op": "eq", "value": true}), "name").await), ["Ada"]);
    assert_eq!(
        names(&found(json!({"field": "custom.langs", "op": "contains", "value": "en"}), "name").await),
        ["Ada", "Alan"]
    );
    assert_eq!(
        names(&found(json!({"field": "custom.langs", "op": "in", "value": ["de", "fr"]}), "name").await),
        ["Ada", "Grace"]
    );
    assert_eq!(
        names(&found(json!({"field": "custom.score", "op": "is_set", "value": false}), "name").await),
        ["Edsger"]
    );
    assert_eq!(
        names(&found(json!({"field": "custom.since", "op": "gte", "value": "2021-06-01T10:00:00Z"}), "name").await),
        ["Alan"]
    );
    assert_eq!(
        names(&found(json!({"all": [{"field": "custom.plan", "op": "contains", "value": "PR"}, {"field": "custom.score", "op": "lt", "value": 10}]}), "name").await),
        ["Ada"]
    );

    // Sorted by a custom field, missing values first ascending, paged with the cursor.
    let by_score = search(json!({"sort": "custom.score", "limit": 2})).await;
    by_score.expect(200);
    assert_eq!(names(&by_score), ["Edsger", "Alan"]);
    let next = search(json!({"sort": "custom.score", "limit": 2, "cursor": by_score.body["next_cursor"]})).await;
    assert_eq!(names(&next), ["Ada", "Grace"]);
    assert_eq!(next.body["has_more"], false);
    let desc = app.get("/v1/contacts?sort=-custom.plan&limit=10", &app.read_only_token).await;
    desc.expect(200);
    assert_eq!(names(&desc)[..2].iter().filter(|n| ["Ada", "Grace"].contains(&n.as_str())).count(), 2);
    assert_eq!(names(&desc)[3], "Edsger");

    // The lists take the same filter language in `filter` (any field, custom ones too).
    let listed = |filter: Value| {
        let url =
            app.url(&format!("/v1/contacts?sort=name&filter={}", crate::support::percent_encode(&filter.to_string())));
        app.send(app.client.get(url), &app.read_only_token)
    };
    assert_eq!(names(&listed(json!({"field": "custom.plan", "op": "eq", "value": "pro"})).await), ["Ada", "Grace"]);
    assert_eq!(names(&listed(json!({"field": "first_name", "op": "starts_with", "value": "ed"})).await), ["Edsger"]);
    let bad = listed(json!({"field": "custom.nope", "op": "eq", "value": 1})).await;
    bad.expect_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["pointer"], "/filter/field");
    app.get("/v1/contacts?filter=%7Bnot-json", &app.read_only_token).await.expect_problem(422, "validation_failed");
    let filter = crate::support::percent_encode(&json!({"field": "name", "op": "eq", "value": "x"}).to_string());
    let companies = app.get(&format!("/v1/companies?filter={filter}"), &app.read_only_token).await;
    companies.expect(200);

    // Nullable standard columns sort too: records without a value first ascending.
    let by_title = app.get("/v1/contacts?sort=-job_title&limit=3", &app.read_only_token).await;
    by_title.expect(200);
    let next = app
        .get(
            &format!("/v1/contacts?sort=-job_title&limit=3&cursor={}", by_title.body["next_cursor"].as_str().unwrap()),
            &app.read_only_token,
        )
        .await;
    assert_eq!(names(&by_title).len() + names(&next).len(), 4);
    assert_eq!(names(&next).len(), 1);

    // Unknown keys, wrong value types and unsortable fields are clear errors.
    let unknown = found(json!({"field": "custom.colour", "op": "eq", "value": "red"}), "name").await;
    unknown.expect_problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["pointer"], "/filter/field");
    let wrong = found(json!({"field": "custom.score", "op": "gt", "value": "high"}), "name").await;
    assert_eq!(wrong.body["errors"][0]["pointer"], "/filter/value");
    let op = found(json!({"field": "custom.active", "op": "gt", "value": true}), "name").await;
    assert_eq!(op.body["errors"][0]["pointer"], "/filter/op");
    search(json!({"sort": "custom.langs"})).await.expect_problem(400, "invalid_sort");
    app.get("/v1/contacts?sort=custom.nothing", &app.read_only_token).await.expect_problem(400, "invalid_sort");
}

async fn rule_changes_and_archiving_keep_values(app: TestApp) {
    let plan = define(
        &app,
        json!({"record_type": "contact", "key": "plan", "label": "Plan", "type": "select",
        "options": [{"value": "free"}, {"value": "legacy"}]}),
    )
    .await;
    let note = define(&app, json!({"record_type": "contact", "key": "note", "label": "Note", "type": "text"})).await;
    let created = app
        .post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada", "custom": {"plan": "legacy", "note": "hi"}}))
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();

    // The type and key cannot change; options can, and the stored value stays.
    app.patch(&format!("/v1/custom-fields/{plan}"), &app.admin_key, json!({"type": "text"}))
        .await
        .expect_problem(422, "validation_failed");
    app.patch(&format!("/v1/custom-fields/{plan}"), &app.admin_key, json!({"key": "other"})).await.expect(422);
    // A patch's options are checked like a create's (found by schemathesis: an empty value was stored).
    let empty = app
        .patch(
            &format!("/v1/custom-fields/{plan}"),
            &app.admin_key,
            json!({"options": [{"value": "", "label": "Gold"}]}),
        )
        .await;
    empty.expect_problem(422, "validation_failed");
    assert_eq!(empty.body["errors"][0]["pointer"], "/options/0/value", "{}", empty.text);
    let narrowed =
        app.patch(&format!("/v1/custom-fields/{plan}"), &app.admin_key, json!({"options": [{"value": "free"}]})).await;
    narrowed.expect(200);
    assert_eq!(narrowed.body["version"], 2);
    let contact = app.get(&format!("/v1/contacts/{id}"), &app.admin_key).await;
    assert_eq!(contact.body["custom"]["plan"], "legacy");
    // Editing other fields keeps the old value; setting it anew must pass the new rules.
    app.patch(&format!("/v1/contacts/{id}"), &app.admin_key, json!({"last_name": "Lovelace"})).await.expect(200);
    app.patch(&format!("/v1/contacts/{id}"), &app.admin_key, json!({"custom": {"plan": "gold"}}))
        .await
        .expect_problem(422, "validation_failed");

    // Deleting archives: values are hidden and not filterable, but kept; restore shows them again.
    app.send(app.client.delete(app.url(&format!("/v1/custom-fields/{note}"))), &app.admin_key).await.expect(204);
    let hidden = app.get(&format!("/v1/contacts/{id}"), &app.admin_key).await;
    assert!(hidden.body["custom"].get("note").is_none(), "{}", hidden.text);
    app.post(
        "/v1/contacts/search",
        &app.admin_key,
        json!({"filter": {"field": "custom.note", "op": "eq", "value": "hi"}}),
    )
    .await
    .expect(422);
    let listed = app.get("/v1/custom-fields?record_type=contact", &app.admin_key).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    let all = app.get("/v1/custom-fields?include_archived=true", &app.admin_key).await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 2);
    // An edit while archived does not lose the hidden value.
    app.patch(&format!("/v1/contacts/{id}"), &app.admin_key, json!({"job_title": "Analyst"})).await.expect(200);
    app.post("/v1/contacts", &app.admin_key, json!({"first_name": "X", "custom": {"note": "new"}}))
        .await
        .expect_problem(422, "validation_failed");
    // The key stays taken while archived.
    app.post(
        "/v1/custom-fields",
        &app.admin_key,
        json!({"record_type": "contact", "key": "note", "label": "N", "type": "number"}),
    )
    .await
    .expect_problem(409, "duplicate_custom_field");
    let restored = app.post(&format!("/v1/custom-fields/{note}/restore"), &app.admin_key, json!({})).await;
    restored.expect(200);
    assert!(restored.body["archived_at"].is_null());
    let back = app.get(&format!("/v1/contacts/{id}"), &app.admin_key).await;
    assert_eq!(back.body["custom"]["note"], "hi");
    let found = app
        .post(
            "/v1/contacts/search",
            &app.admin_key,
            json!({"filter": {"field": "custom.note", "op": "eq", "value": "hi"}}),
        )
        .await;
    assert_eq!(found.body["data"][0]["id"], id.as_str());
    let types = app.event_types();
    assert!(types.iter().any(|t| t == "custom_field.deleted") && types.iter().any(|t| t == "custom_field.restored"));
    app.send(app.client.delete(app.url(&format!("/v1/custom-fields/{note}"))), &app.sales_token).await.expect(403);
}

async fn companies_take_custom_values(app: TestApp) {
    define(
        &app,
        json!({"record_type": "company", "key": "segment", "label": "Segment", "type": "select",
        "options": [{"value": "smb"}, {"value": "enterprise"}]}),
    )
    .await;
    define(&app, json!({"record_type": "company", "key": "arr", "label": "ARR", "type": "number", "min": 0})).await;
    let acme = app
        .post("/v1/companies", &app.admin_key, json!({"name": "Acme", "custom": {"segment": "enterprise", "arr": 900}}))
        .await;
    acme.expect(201);
    assert_eq!(acme.body["custom"], json!({"segment": "enterprise", "arr": 900}));
    app.post("/v1/companies", &app.admin_key, json!({"name": "Tiny", "custom": {"segment": "smb", "arr": 5}}))
        .await
        .expect(201);
    app.post("/v1/companies", &app.admin_key, json!({"name": "Bad", "custom": {"arr": -1}})).await.expect(422);
    // A contact field is not a company field.
    app.post("/v1/companies", &app.admin_key, json!({"name": "Bad", "custom": {"tier": "x"}})).await.expect(422);
    let big = app
        .post(
            "/v1/companies/search",
            &app.admin_key,
            json!({"filter": {"field": "custom.arr", "op": "gte", "value": 100}}),
        )
        .await;
    big.expect(200);
    assert_eq!(big.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(big.body["data"][0]["name"], "Acme");
    let sorted = app.get("/v1/companies?sort=-custom.arr", &app.admin_key).await;
    assert_eq!(sorted.body["data"][0]["name"], "Acme");
}
