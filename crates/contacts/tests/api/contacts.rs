//! Contacts: normalization, duplicates, merge patch, lists, upsert by external id, trash, tenancy.

use serde_json::{Value, json};

use crate::both;
use crate::support::TestApp;

both!(
    create_normalizes_and_records,
    bad_contacts_change_nothing,
    patch_merges_and_checks_version,
    list_filters_and_sorts,
    upsert_by_external_id,
    trash_and_restore,
    roles_and_other_organizations,
    a_patch_rewrites_only_what_changed,
    a_patch_answers_what_is_stored,
    a_create_is_whole_or_nothing_under_concurrency,
    text_is_clean_at_the_edge
);

fn ada() -> Value {
    json!({
        "first_name": "Ada", "last_name": "Lovelace",
        "emails": [{"address": "ADA@Example.com", "type": "work"}, {"address": "ada@home.example", "type": "home", "primary": true}],
        "phones": [{"number": "(415) 555-2671", "type": "mobile"}],
        "addresses": [{"type": "home", "city": "London", "country": "gb"}],
        "lifecycle_stage": "customer", "tags": ["vip", " vip ", "b2b"], "external_ids": {"shopify": "7712"}
    })
}

async fn create_normalizes_and_records(app: TestApp) {
    let created = app.post("/v1/contacts", &app.sales_token, ada()).await;
    created.expect(201);
    let c = &created.body;
    let id = c["id"].as_str().unwrap();
    assert!(id.starts_with("con_"));
    assert_eq!(created.header("location"), Some(format!("/v1/contacts/{id}").as_str()));
    assert_eq!(c["emails"][0]["address"], "ada@example.com");
    assert_eq!(c["email"], "ada@home.example", "the marked primary wins");
    assert_eq!(c["phone"], "+14155552671");
    assert_eq!(c["phones"][0]["primary"], true);
    assert_eq!(c["addresses"][0]["country"], "GB");
    assert_eq!(c["tags"], json!(["vip", "b2b"]));
    assert_eq!(c["external_ids"], json!({"shopify": "7712"}));
    assert_eq!(c["lifecycle_stage"], "customer");
    assert_eq!(app.event_types().last().map(String::as_str), Some("contact.created"));
    assert_eq!(app.count("contact_emails"), 2);
    assert_eq!(app.count("record_tags"), 2);

    let fetched = app.get(&format!("/v1/contacts/{id}"), &app.read_only_token).await;
    fetched.expect(200);
    assert_eq!(fetched.body, created.body);
    assert_eq!(fetched.header("etag"), Some("\"1\""));

    let duplicate = app.post("/v1/contacts", &app.admin_key, json!({"emails": [{"address": "Ada@example.COM"}]})).await;
    duplicate.expect_problem(409, "duplicate_contact");
    assert!(duplicate.body["detail"].as_str().unwrap().contains(id), "the 409 names the existing contact");
    let taken = app
        .post("/v1/contacts", &app.admin_key, json!({"first_name": "Eve", "external_ids": {"shopify": "7712"}}))
        .await;
    taken.expect_problem(409, "external_id_taken");

    let minimal = app.post("/v1/contacts", &app.admin_key, json!({"last_name": "Hopper"})).await;
    minimal.expect(201);
    assert_eq!(minimal.body["lifecycle_stage"], "lead");
    assert_eq!(minimal.body["emails"], json!([]));
    assert!(minimal.body["email"].is_null());
}

async fn bad_contacts_change_nothing(app: TestApp) {
    let (contacts, events) = (app.count("contacts"), app.count("events"));
    let many: serde_json::Map<String, Value> = (0..101).map(|i| (format!("s{i}"), json!("1"))).collect();
    let cases = [
        (json!({"emails": [{"address": "not-an-email"}]}), "/emails/0/address"),
        (json!({"first_name": "A", "phones": [{"number": "12"}]}), "/phones/0/number"),
        (
            json!({"first_name": "A", "phones": [{"number": "+1 415 555 2671", "primary": true}, {"number": "+44 20 7946 0958", "primary": true}]}),
            "/phones",
        ),
        (json!({"job_title": "Nameless"}), ""),
        (json!({"first_name": "A", "lifecycle_stage": "royalty"}), "/lifecycle_stage"),
        (json!({"first_name": "A", "nickname": "a"}), "/nickname"),
        (json!({"first_name": "A", "tags": ["ok", ""]}), "/tags/1"),
        (json!({"first_name": "A", "external_ids": {"Not A Source": "1"}}), "/external_ids/Not A Source"),
        (json!({"first_name": "A", "external_ids": many}), "/external_ids"),
        (json!({"first_name": "A", "owner_id": "user_nobody"}), "/owner_id"),
        (json!({"first_name": "A", "emails": [{"address": "a@b.co", "kind": "work"}]}), "/emails/0/kind"),
        (json!({"first_name": "x".repeat(101)}), "/first_name"),
        // Two characters, but `ß` upper-cases to `SS`: a country is two ASCII letters.
        (json!({"first_name": "A", "addresses": [{"country": "ßb"}]}), "/addresses/0/country"),
        (json!({"first_name": "A", "addresses": [{"country": "GBR"}]}), "/addresses/0/country"),
        // Text that is not what it shows (crm_core::text).
        (json!({"first_name": "\u{200b}"}), "/first_name"),
        (json!({"first_name": "A", "last_name": "ring\u{7}"}), "/last_name"),
        (json!({"first_name": "A", "job_title": "abc\u{202e}fdp.exe"}), "/job_title"),
        (json!({"first_name": "two\nlines"}), "/first_name"),
        (json!({"first_name": "A", "tags": ["\u{1b}[31mred"]}), "/tags/0"),
        (json!({"first_name": "A", "external_ids": {"shop\u{85}": "1"}}), "/external_ids"),
    ];
    for (body, pointer) in cases {
        let reply = app.post("/v1/contacts", &app.admin_key, body.clone()).await;
        reply.expect(422);
        let pointers: Vec<&str> =
            reply.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert!(pointers.contains(&pointer), "{body} gave {pointers:?}");
    }
    app.get("/v1/contacts?lifecycle_stage=royalty", &app.admin_key).await.expect(400);
    app.get("/v1/contacts?created_after=yesterday", &app.admin_key).await.expect(400);
    app.get("/v1/contacts?sort=password", &app.admin_key).await.expect_problem(400, "invalid_sort");
    app.send(
        app.client.put(app.url("/v1/external-ids/Bad%20Source/1/contact")).json(&json!({"first_name": "A"})),
        &app.admin_key,
    )
    .await
    .expect(404);
    assert_eq!(app.count("contacts"), contacts);
    assert_eq!(app.count("events"), events);
}

async fn patch_merges_and_checks_version(app: TestApp) {
    let created = app
        .post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": "Grace", "last_name": "Hopper", "job_title": "Rear Admiral", "tags": ["navy"]}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/contacts/{id}");

    let patched = app
        .patch(
            &path,
            &app.admin_key,
            json!({"job_title": null, "lifecycle_stage": "opportunity", "owner_id": app.sales_id}),
        )
        .await;
    patched.expect(200);
    assert!(patched.body["job_title"].is_null());
    assert_eq!(patched.body["first_name"], "Grace");
    assert_eq!(patched.body["tags"], json!(["navy"]));
    assert_eq!(patched.body["owner_id"], app.sales_id.as_str());
    assert_eq!(patched.body["version"], 2);

    let emails =
        app.patch(&path, &app.admin_key, json!({"emails": [{"address": "grace@navy.example"}], "tags": []})).await;
    emails.expect(200);
    assert_eq!(emails.body["email"], "grace@navy.example");
    assert_eq!(emails.body["tags"], json!([]));
    let filtered = app.get("/v1/contacts?email=GRACE@navy.example", &app.admin_key).await;
    assert_eq!(filtered.body["data"][0]["id"], id.as_str());

    let stale = app
        .send(
            app.client.patch(app.url(&path)).header("If-Match", "\"1\"").json(&json!({"first_name": "G"})),
            &app.admin_key,
        )
        .await;
    stale.expect_problem(412, "version_mismatch");
    app.patch(&path, &app.admin_key, json!({"lifecycle_stage": null})).await.expect(422);
    app.patch(&path, &app.admin_key, json!({"first_name": null, "last_name": null, "emails": null})).await.expect(422);
    let current = app.get(&path, &app.admin_key).await;
    assert_eq!(current.body["version"], 3);

    let events = app.get("/v1/events?types=contact.updated", &app.admin_key).await;
    let first = &events.body["data"][0]["data"];
    assert_eq!(first["previous_attributes"]["job_title"], "Rear Admiral");
    assert_eq!(first["previous_attributes"]["lifecycle_stage"], "lead");
    let audit = app.get(&format!("/v1/audit-log?resource_id={id}&action=updated"), &app.admin_key).await;
    assert_eq!(audit.body["data"].as_array().unwrap().len(), 2);
}

async fn list_filters_and_sorts(app: TestApp) {
    let people = [
        ("Zed", "Adams", "customer", "vip"),
        ("Amy", "Young", "lead", "vip"),
        ("Bob", "Brown", "lead", "cold"),
        ("Cat", "Brown", "customer", "cold"),
    ];
    for (first, last, stage, tag) in people {
        let owner = if stage == "customer" { json!(app.sales_id) } else { Value::Null };
        app.post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": first, "last_name": last, "lifecycle_stage": stage, "tags": [tag], "owner_id": owner}),
        )
        .await
        .expect(201);
    }
    let names = |reply: &crate::support::Reply| -> Vec<String> {
        reply.body["data"].as_array().unwrap().iter().map(|c| c["first_name"].as_str().unwrap().to_string()).collect()
    };
    let by_name = app.get("/v1/contacts?sort=name", &app.admin_key).await;
    assert_eq!(names(&by_name), ["Zed", "Bob", "Cat", "Amy"]);
    let vip = app.get("/v1/contacts?tag=vip&sort=name", &app.admin_key).await;
    assert_eq!(names(&vip), ["Zed", "Amy"]);
    let customers = app.get("/v1/contacts?lifecycle_stage=customer&sort=-name", &app.admin_key).await;
    assert_eq!(names(&customers), ["Cat", "Zed"]);
    let owned = app.get(&format!("/v1/contacts?owner_id={}", app.sales_id), &app.admin_key).await;
    assert_eq!(owned.body["data"].as_array().unwrap().len(), 2);

    let first_page = app.get("/v1/contacts?sort=-name&limit=3", &app.admin_key).await;
    assert_eq!(names(&first_page), ["Amy", "Cat", "Bob"]);
    let cursor = first_page.body["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("/v1/contacts?sort=-name&limit=3&cursor={cursor}"), &app.admin_key).await;
    assert_eq!(names(&second), ["Zed"]);
    assert_eq!(second.body["has_more"], false);

    let future = app.get("/v1/contacts?created_after=2999-01-01T00:00:00Z", &app.admin_key).await;
    assert_eq!(future.body["data"], json!([]));
    let past = app
        .get("/v1/contacts?updated_after=2000-01-01T00:00:00Z&created_before=2999-01-01T00:00:00Z", &app.admin_key)
        .await;
    assert_eq!(past.body["data"].as_array().unwrap().len(), 4);
}

async fn upsert_by_external_id(app: TestApp) {
    let url = app.url("/v1/external-ids/erp/C-991/contact");
    let created = app
        .send(
            app.client.put(&url).json(&json!({"first_name": "Ivy", "emails": [{"address": "ivy@example.com"}]})),
            &app.admin_key,
        )
        .await;
    created.expect(201);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["external_ids"], json!({"erp": "C-991"}));

    let updated = app
        .send(
            app.client.put(&url).json(&json!({"job_title": "Buyer", "external_ids": {"shopify": "55"}})),
            &app.admin_key,
        )
        .await;
    updated.expect(200);
    assert_eq!(updated.body["id"], id.as_str());
    assert_eq!(updated.body["first_name"], "Ivy", "fields not sent are kept");
    assert_eq!(updated.body["job_title"], "Buyer");
    assert_eq!(updated.body["external_ids"], json!({"erp": "C-991", "shopify": "55"}));
    // Sending the same data again changes nothing: same version, no new event.
    let events = app.count("events");
    let again = app.send(app.client.put(&url).json(&json!({"job_title": "Buyer"})), &app.admin_key).await;
    again.expect(200);
    assert_eq!(again.body["version"], updated.body["version"]);
    assert_eq!(app.count("events"), events);
    let by_other_source = app
        .send(
            app.client.put(app.url("/v1/external-ids/shopify/55/contact")).json(&json!({"last_name": "Ng"})),
            &app.admin_key,
        )
        .await;
    by_other_source.expect(200);
    assert_eq!(by_other_source.body["id"], id.as_str());

    // Another organization's integrator has its own id space.
    let theirs = app.send(app.client.put(&url).json(&json!({"first_name": "Other Ivy"})), &app.other_org_key).await;
    theirs.expect(201);
    assert_ne!(theirs.body["id"], id.as_str());
    assert_eq!(app.get(&format!("/v1/contacts/{id}"), &app.admin_key).await.body["first_name"], "Ivy");
}

async fn trash_and_restore(app: TestApp) {
    let created = app
        .post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": "Tom", "emails": [{"address": "tom@example.com"}], "external_ids": {"erp": "T1"}}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/contacts/{id}");
    let stale = app.send(app.client.delete(app.url(&path)).header("If-Match", "\"7\""), &app.admin_key).await;
    stale.expect(412);
    let deleted = app.send(app.client.delete(app.url(&path)), &app.admin_key).await;
    assert_eq!(deleted.status, 204);
    app.get(&path, &app.admin_key).await.expect(404);
    app.send(app.client.delete(app.url(&path)), &app.admin_key).await.expect(404);
    assert_eq!(app.get("/v1/contacts", &app.admin_key).await.body["data"], json!([]));
    assert!(app.event_types().contains(&"contact.deleted".to_string()));

    let restored = app.post(&format!("{path}/restore"), &app.admin_key, json!({})).await;
    restored.expect(200);
    assert_eq!(restored.body["email"], "tom@example.com");
    assert_eq!(restored.body["external_ids"], json!({"erp": "T1"}));
    app.post(&format!("{path}/restore"), &app.admin_key, json!({})).await.expect(404);

    // While it is in the trash its e-mail is free; taking it blocks the restore.
    app.send(app.client.delete(app.url(&path)), &app.admin_key).await;
    app.post(
        "/v1/contacts",
        &app.admin_key,
        json!({"first_name": "New Tom", "emails": [{"address": "tom@example.com"}]}),
    )
    .await
    .expect(201);
    app.post(&format!("{path}/restore"), &app.admin_key, json!({})).await.expect_problem(409, "duplicate_contact");
}

async fn roles_and_other_organizations(app: TestApp) {
    let created = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Mine"})).await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/contacts/{id}");
    app.post("/v1/contacts", &app.read_only_token, json!({"first_name": "No"})).await.expect_problem(403, "forbidden");
    app.patch(&path, &app.read_only_token, json!({"first_name": "No"})).await.expect(403);
    app.get("/v1/contacts", &app.read_only_token).await.expect(200);

    let key = app.other_org_key.clone();
    app.get(&path, &key).await.expect_problem(404, "not_found");
    app.patch(&path, &key, json!({"first_name": "Stolen"})).await.expect(404);
    app.send(app.client.delete(app.url(&path)), &key).await.expect(404);
    app.post(&format!("{path}/restore"), &key, json!({})).await.expect(404);
    assert_eq!(app.get("/v1/contacts", &key).await.body["data"], json!([]));
    assert_eq!(app.get(&path, &app.admin_key).await.body["first_name"], "Mine");

    // A key scoped to another domain cannot touch contacts.
    let scoped = app.post("/v1/api-keys", &app.admin_key, json!({"name": "feed", "scopes": ["events:read"]})).await;
    app.get("/v1/contacts", scoped.body["key"].as_str().unwrap()).await.expect(403);
    let reader =
        app.post("/v1/api-keys", &app.admin_key, json!({"name": "crm reader", "scopes": ["contacts:read"]})).await;
    let reader = reader.body["key"].as_str().unwrap().to_string();
    app.get("/v1/contacts", &reader).await.expect(200);
    app.post("/v1/contacts", &reader, json!({"first_name": "No"})).await.expect(403);
}

mod batch {
    use serde_json::json;

    use crate::both;
    use crate::support::TestApp;

    both!(
        batch_upserts_with_per_input_results,
        atomic_batch_is_all_or_nothing,
        batch_checks_each_input_as_alone,
        concurrent_batches_update_the_same_contacts
    );

    async fn batch_upserts_with_per_input_results(app: TestApp) {
        let existing = app
            .post(
                "/v1/contacts",
                &app.admin_key,
                json!({"first_name": "Old", "emails": [{"address": "old@example.com"}]}),
            )
            .await;
        let existing_id = existing.body["id"].as_str().unwrap().to_string();
        let body = json!({
            "mode": "upsert", "match_on": "email",
            "inputs": [
                {"properties": {"first_name": "New", "emails": [{"address": "new@example.com"}]}},
                {"properties": {"last_name": "Updated", "emails": [{"address": "OLD@example.com"}]}},
                {"properties": {"first_name": "Bad", "emails": [{"address": "nope"}]}},
                {"properties": {"first_name": "Old", "emails": [{"address": "old@example.com"}]}}
            ]
        });
        let reply = app.post("/v1/contacts/batch", &app.admin_key, body).await;
        reply.expect(200);
        let results = reply.body["results"].as_array().unwrap();
        assert_eq!(results[0]["status"], "created");
        assert_eq!(results[1]["status"], "updated");
        assert_eq!(results[1]["id"], existing_id.as_str());
        assert_eq!(results[2]["status"], "error");
        assert_eq!(results[2]["error"]["errors"][0]["pointer"], "/inputs/2/properties/emails/0/address");
        assert_eq!(results[3]["status"], "unchanged");
        assert_eq!(
            (reply.body["created"].as_i64(), reply.body["updated"].as_i64(), reply.body["failed"].as_i64()),
            (Some(1), Some(1), Some(1))
        );
        let old = app.get(&format!("/v1/contacts/{existing_id}"), &app.admin_key).await;
        assert_eq!(old.body["last_name"], "Updated");
        assert_eq!(old.body["first_name"], "Old");

        // By external id, 1,000 inputs in one request.
        let inputs: Vec<_> = (0..1000)
            .map(|i| json!({"properties": {"first_name": format!("P{i}"), "external_ids": {"shop": format!("{i}")}}}))
            .collect();
        let big = app
            .post(
                "/v1/contacts/batch",
                &app.admin_key,
                json!({"mode": "upsert", "match_on": "external_id:shop", "inputs": inputs}),
            )
            .await;
        big.expect(200);
        assert_eq!(big.body["created"], 1000);
        let again: Vec<_> = (0..1000)
            .map(|i| json!({"properties": {"job_title": "Buyer", "external_ids": {"shop": format!("{i}")}}}))
            .collect();
        let second = app
            .post(
                "/v1/contacts/batch",
                &app.admin_key,
                json!({"mode": "upsert", "match_on": "external_id:shop", "inputs": again}),
            )
            .await;
        assert_eq!(second.body["updated"], 1000);
        assert_eq!(app.count("contacts"), 1002);

        let update_missing = app.post("/v1/contacts/batch", &app.admin_key, json!({"mode": "update", "match_on": "id", "inputs": [{"id": "con_missing", "properties": {"first_name": "X"}}]})).await;
        assert_eq!(update_missing.body["results"][0]["error"]["status"], 404);
        let too_many: Vec<_> = (0..1001).map(|_| json!({"properties": {"first_name": "X"}})).collect();
        app.post("/v1/contacts/batch", &app.admin_key, json!({"mode": "create", "inputs": too_many})).await.expect(422);
        app.post(
            "/v1/contacts/batch",
            &app.admin_key,
            json!({"mode": "upsert", "inputs": [{"properties": {"first_name": "X"}}]}),
        )
        .await
        .expect(422);
        app.post(
            "/v1/contacts/batch",
            &app.admin_key,
            json!({"mode": "upsert", "match_on": "phone", "inputs": [{"properties": {"first_name": "X"}}]}),
        )
        .await
        .expect(422);
        app.post(
            "/v1/contacts/batch",
            &app.read_only_token,
            json!({"mode": "create", "inputs": [{"properties": {"first_name": "X"}}]}),
        )
        .await
        .expect(403);
    }

    /// Runs of new contacts are written together: each input is still checked as a single
    /// write checks it, against the database and against the inputs before it.
    async fn batch_checks_each_input_as_alone(app: TestApp) {
        let tier = json!({"record_type": "contact", "key": "tier", "label": "Tier", "type": "select",
            "options": [{"value": "gold"}, {"value": "silver"}]});
        app.post("/v1/custom-fields", &app.admin_key, tier).await.expect(201);
        app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Held", "external_ids": {"shop": "9"}}))
            .await
            .expect(201);
        let (contacts, events, audit) = (app.count("contacts"), app.count("events"), app.count("audit_log"));
        let body = json!({"mode": "upsert", "match_on": "email", "inputs": [
            {"properties": {"first_name": "Ada", "emails": [{"address": "ada@bulk.example"}], "phones": [{"number": "+14155550100"}],
                "tags": ["vip"], "external_ids": {"shop": "1"}, "custom": {"tier": "gold"}, "owner_id": app.sales_id}},
            {"properties": {"last_name": "Lovelace", "emails": [{"address": "ADA@bulk.example"}]}},
            {"properties": {"first_name": "Bob", "emails": [{"address": "bob@bulk.example"}], "external_ids": {"shop": "1"}}},
            {"properties": {"first_name": "Cy", "emails": [{"address": "cy@bulk.example"}], "owner_id": "usr_01h455vb4pex5vsknk084sn02q"}},
            {"properties": {"first_name": "Di", "emails": [{"address": "di@bulk.example"}], "custom": {"tier": "bronze"}}},
            {"properties": {"first_name": "Eve", "emails": [{"address": "eve@bulk.example"}]}},
            {"properties": {"first_name": "Fay", "emails": [{"address": "fay@bulk.example"}, {"address": "eve@bulk.example"}]}},
            {"properties": {"first_name": "Gus", "emails": [{"address": "gus@bulk.example"}], "external_ids": {"shop": "9"}}}
        ]});
        let reply = app.post("/v1/contacts/batch", &app.admin_key, body).await;
        reply.expect(200);
        let results = reply.body["results"].as_array().unwrap();
        let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(
            statuses,
            ["created", "updated", "error", "error", "error", "created", "error", "error"],
            "{results:?}"
        );
        assert_eq!(results[1]["id"], results[0]["id"]);
        let code = |i: usize| results[i]["error"]["code"].as_str().unwrap().to_string();
        assert_eq!(code(2), "external_id_taken");
        assert_eq!(code(3), "validation_failed");
        assert_eq!(results[3]["error"]["errors"][0]["pointer"], "/inputs/3/properties/owner_id");
        assert_eq!(results[4]["error"]["errors"][0]["pointer"], "/inputs/4/properties/custom/tier");
        assert_eq!(code(6), "duplicate_contact");
        assert!(results[6]["error"]["detail"].as_str().unwrap().contains(results[5]["id"].as_str().unwrap()));
        assert_eq!(code(7), "external_id_taken");
        // Two contacts created and one updated: a row, an audit row and an event each.
        assert_eq!(app.count("contacts"), contacts + 2);
        assert_eq!(app.count("audit_log"), audit + 3);
        assert_eq!(app.count("events"), events + 3);
        let ada = app.get(&format!("/v1/contacts/{}", results[0]["id"].as_str().unwrap()), &app.admin_key).await;
        ada.expect(200);
        assert_eq!((ada.body["first_name"].as_str(), ada.body["last_name"].as_str()), (Some("Ada"), Some("Lovelace")));
        assert_eq!(ada.body["version"], 2);
        assert_eq!(ada.body["tags"], json!(["vip"]));
        assert_eq!(ada.body["external_ids"], json!({"shop": "1"}));
        assert_eq!(ada.body["custom"], json!({"tier": "gold"}));
        assert_eq!(ada.body["owner_id"], app.sales_id.as_str());
        assert_eq!(ada.body["phones"][0]["number"], "+14155550100");
        // Indexed, found by its e-mail, tag and external id as a single create's contact is.
        let hits = app.get("/v1/search?q=lovelace", &app.admin_key).await;
        assert_eq!(hits.body["data"][0]["id"], results[0]["id"]);
        let hits = app.get("/v1/search?q=4155550100", &app.admin_key).await;
        assert_eq!(hits.body["data"][0]["id"], results[0]["id"]);
        let by_email = app.get("/v1/contacts?email=eve@bulk.example", &app.admin_key).await;
        assert_eq!(by_email.body["data"][0]["id"], results[5]["id"]);
        let by_tag = app.get("/v1/contacts?tag=vip", &app.admin_key).await;
        assert_eq!(by_tag.body["data"].as_array().unwrap().len(), 1);
        let by_shop =
            app.put("/v1/external-ids/shop/1/contact", &app.admin_key, json!({"job_title": "Countess"})).await;
        assert_eq!(by_shop.body["id"], results[0]["id"]);
        let types = app.event_types();
        assert_eq!(types.iter().filter(|t| *t == "contact.created").count(), 3);

        // Runs of matched contacts are updated together, each checked as a single update.
        for name in ["kim", "lee", "max"] {
            let body = json!({"first_name": name, "emails": [{"address": format!("{name}@bulk.example")}]});
            app.post("/v1/contacts", &app.admin_key, body).await.expect(201);
        }
        let updated_events = types.iter().filter(|t| *t == "contact.updated").count();
        let body = json!({"mode": "upsert", "match_on": "email", "inputs": [
            {"properties": {"emails": [{"address": "ada@bulk.example"}], "job_title": "Engineer"}},
            {"properties": {"emails": [{"address": "kim@bulk.example"}], "external_ids": {"shop": "9"}}},
            {"properties": {"emails": [{"address": "lee@bulk.example"}], "custom": {"tier": "bronze"}}},
            {"properties": {"emails": [{"address": "max@bulk.example"}, {"address": "eve@bulk.example"}]}},
            {"properties": {"emails": [{"address": "eve@bulk.example"}], "tags": ["late"]}},
            {"properties": {"emails": [{"address": "kim@bulk.example"}], "first_name": "Kim"}}
        ]});
        let reply = app.post("/v1/contacts/batch", &app.admin_key, body).await;
        reply.expect(200);
        let results = reply.body["results"].as_array().unwrap();
        let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["updated", "error", "error", "error", "updated", "updated"], "{results:?}");
        let code = |i: usize| results[i]["error"]["code"].as_str().unwrap().to_string();
        assert_eq!(
            (code(1), code(2), code(3)),
            ("external_id_taken".into(), "validation_failed".into(), "duplicate_contact".into())
        );
        let ada = app.get(&format!("/v1/contacts/{}", results[0]["id"].as_str().unwrap()), &app.admin_key).await;
        assert_eq!((ada.body["job_title"].as_str(), ada.body["version"].as_i64()), (Some("Engineer"), Some(4)));
        assert_eq!(ada.body["custom"], json!({"tier": "gold"}));
        let app = &app;
        let one = |email: &str| {
            let url = format!("/v1/contacts?email={email}");
            async move { app.get(&url, &app.admin_key).await.body["data"][0].clone() }
        };
        let kim = one("kim@bulk.example").await;
        assert_eq!((kim["first_name"].as_str(), kim["external_ids"].clone()), (Some("Kim"), json!({})));
        assert_eq!(one("max@bulk.example").await["emails"].as_array().unwrap().len(), 1);
        assert_eq!(one("eve@bulk.example").await["tags"], json!(["late"]));
        let types = app.event_types();
        assert_eq!(types.iter().filter(|t| *t == "contact.updated").count(), updated_events + 3);
        let found = app.get("/v1/search?q=kim", &app.admin_key).await;
        assert_eq!(found.body["data"][0]["title"], "Kim");

        // One contact several times in a batch: each input sees the one before.
        let kim_version = one("kim@bulk.example").await["version"].as_i64().unwrap();
        let inputs = |titles: &[(&str, &str)]| -> serde_json::Value {
            let inputs: Vec<_> = titles
                .iter()
                .map(|(name, title)| json!({"properties": {"emails": [{"address": format!("{name}@bulk.example")}], "job_title": title}}))
                .collect();
            json!({"mode": "upsert", "match_on": "email", "inputs": inputs})
        };
        let body = inputs(&[("kim", "One"), ("kim", "One"), ("lee", "Two"), ("kim", "Three")]);
        let reply = app.post("/v1/contacts/batch", &app.admin_key, body).await;
        let statuses: Vec<&str> =
            reply.body["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["updated", "unchanged", "updated", "updated"], "{}", reply.text);
        let kim = one("kim@bulk.example").await;
        assert_eq!((kim["job_title"].as_str(), kim["version"].as_i64()), (Some("Three"), Some(kim_version + 2)));
        let body = inputs(&[("lee", "Two"), ("lee", "Two"), ("kim", "Three"), ("lee", "Two")]);
        let reply = app.post("/v1/contacts/batch", &app.admin_key, body).await;
        assert_eq!(reply.body["unchanged"], 4, "{}", reply.text);
    }

    /// Two batches updating the same contacts at once: each contact takes both, one after the
    /// other (no update lost), with an event each.
    async fn concurrent_batches_update_the_same_contacts(app: TestApp) {
        let inputs: Vec<_> = (0..50)
            .map(|i| json!({"properties": {"first_name": "Same", "emails": [{"address": format!("same{i}@bulk.example")}]}}))
            .collect();
        let created = app.post("/v1/contacts/batch", &app.admin_key, json!({"mode": "create", "inputs": inputs})).await;
        assert_eq!(created.body["created"], 50);
        let events = app.count("events");
        let batch = |field: &'static str| {
            let inputs: Vec<_> = (0..50)
                .map(
                    |i| json!({"properties": {field: "set", "emails": [{"address": format!("same{i}@bulk.example")}]}}),
                )
                .collect();
            app.post(
                "/v1/contacts/batch",
                &app.admin_key,
                json!({"mode": "update", "match_on": "email", "inputs": inputs}),
            )
        };
        let (a, b) = futures_util::future::join(batch("job_title"), batch("lead_source")).await;
        assert_eq!(
            (a.body["updated"].as_i64(), b.body["updated"].as_i64()),
            (Some(50), Some(50)),
            "{} {}",
            a.text,
            b.text
        );
        let filter = json!({"filter": {"field": "first_name", "op": "eq", "value": "Same"}, "limit": 100});
        let listed = app.post("/v1/contacts/search", &app.admin_key, filter).await;
        let data = listed.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 50);
        for contact in data {
            assert_eq!((contact["job_title"].as_str(), contact["lead_source"].as_str()), (Some("set"), Some("set")));
            assert_eq!(contact["version"], 3);
        }
        assert_eq!(app.count("events"), events + 100);
    }

    async fn atomic_batch_is_all_or_nothing(app: TestApp) {
        let (contacts, events) = (app.count("contacts"), app.count("events"));
        let body = json!({"mode": "create", "atomic": true, "inputs": [
            {"properties": {"first_name": "A", "emails": [{"address": "a@example.com"}]}},
            {"properties": {"first_name": "B", "emails": [{"address": "a@example.com"}]}}
        ]});
        let reply = app.post("/v1/contacts/batch", &app.admin_key, body).await;
        reply.expect_problem(422, "batch_failed");
        assert!(reply.body["detail"].as_str().unwrap().contains("Input 1"));
        assert_eq!(app.count("contacts"), contacts);
        assert_eq!(app.count("events"), events);
        // The first failure in input order is the one reported, whatever fails it.
        for (inputs, failing) in [
            (
                json!([{"properties": {"first_name": "A"}}, {"properties": {"emails": [{"address": "nope"}]}}]),
                "Input 1",
            ),
            (
                json!([
                    {"properties": {"first_name": "A", "emails": [{"address": "b@example.com"}]}},
                    {"properties": {"first_name": "B", "emails": [{"address": "b@example.com"}]}},
                    {"properties": {"emails": [{"address": "nope"}]}}
                ]),
                "Input 1",
            ),
        ] {
            let body = json!({"mode": "create", "atomic": true, "inputs": inputs});
            let reply = app.post("/v1/contacts/batch", &app.admin_key, body).await;
            reply.expect_problem(422, "batch_failed");
            assert!(reply.body["detail"].as_str().unwrap().contains(failing), "{}", reply.text);
            assert_eq!((app.count("contacts"), app.count("events")), (contacts, events));
        }
        let ok = app.post("/v1/contacts/batch", &app.admin_key, json!({"mode": "create", "atomic": true, "inputs": [{"properties": {"first_name": "A"}}, {"properties": {"first_name": "B"}}]})).await;
        assert_eq!(ok.body["created"], 2);
    }
}

/// The ids of the contacts `query` lists.
async fn listed_ids(app: &TestApp, query: &str) -> Vec<String> {
    let reply = app.get(&format!("/v1/contacts?{query}"), &app.admin_key).await;
    reply.expect(200);
    reply.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

async fn found_ids(app: &TestApp, q: &str) -> Vec<String> {
    let reply = app.get(&format!("/v1/search?q={q}"), &app.admin_key).await;
    reply.body["data"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

/// A patch of one field leaves e-mails, tags, external ids and the search index as they were;
/// a patch of those rewrites them.
async fn a_patch_rewrites_only_what_changed(app: TestApp) {
    let created = app.post("/v1/contacts", &app.admin_key, ada()).await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let url = format!("/v1/contacts/{id}");
    app.patch(&url, &app.admin_key, json!({"job_title": "Analyst"})).await.expect(200);
    for query in ["email=ada@example.com", "tag=vip"] {
        assert_eq!(listed_ids(&app, query).await, vec![id.clone()], "{query}");
    }
    assert_eq!(found_ids(&app, "lovelace").await, vec![id.clone()]);
    let by_external = app
        .send(app.client.put(app.url("/v1/external-ids/shopify/7712/contact")).json(&json!({})), &app.admin_key)
        .await;
    assert_eq!(by_external.body["id"], id.as_str(), "{}", by_external.text);

    let patch = json!({"first_name": "Grace", "last_name": "Hopper", "emails": [{"address": "grace@example.com"}],
                       "tags": ["navy"], "external_ids": {"shopify": "9001"}});
    app.patch(&url, &app.admin_key, patch).await.expect(200);
    assert_eq!(listed_ids(&app, "email=grace@example.com").await, vec![id.clone()]);
    assert!(listed_ids(&app, "email=ada@example.com").await.is_empty());
    assert_eq!(listed_ids(&app, "tag=navy").await, vec![id.clone()]);
    assert!(listed_ids(&app, "tag=vip").await.is_empty());
    assert_eq!(found_ids(&app, "hopper").await, vec![id.clone()]);
    assert!(found_ids(&app, "lovelace").await.is_empty());
    // The old e-mail is free again, the new one taken.
    app.post("/v1/contacts", &app.admin_key, json!({"emails": [{"address": "ada@example.com"}]})).await.expect(201);
    app.post("/v1/contacts", &app.admin_key, json!({"emails": [{"address": "grace@example.com"}]}))
        .await
        .expect_problem(409, "duplicate_contact");
}

/// A PATCH answers the record as it is stored (the write runner builds it without reading it
/// back): what a GET reads after it, custom values and an archived field's included.
async fn a_patch_answers_what_is_stored(app: TestApp) {
    let mut fields = Vec::new();
    for (key, kind) in [("tier", "text"), ("score", "number")] {
        let field = json!({"record_type": "contact", "key": key, "label": key, "type": kind});
        let created = app.post("/v1/custom-fields", &app.admin_key, field).await;
        created.expect(201);
        fields.push(created.body["id"].as_str().unwrap().to_string());
    }
    let ada = json!({"first_name": "Ada", "emails": [{"address": "ada@example.com"}], "custom": {"tier": "gold", "score": 3}});
    let created = app.post("/v1/contacts", &app.admin_key, ada).await;
    created.expect(201);
    let path = format!("/v1/contacts/{}", created.body["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &app.admin_key).await.body, created.body);
    let patches = [
        json!({"job_title": "CEO"}),
        json!({"custom": {"score": 5}}),
        json!({"emails": [{"address": "ada2@example.com"}], "tags": ["a"], "owner_id": app.sales_id}),
        json!({"custom": {"score": null}, "lifecycle_stage": "customer"}),
    ];
    for (i, patch) in patches.into_iter().enumerate() {
        if i == 2 {
            let tier = app.url(&format!("/v1/custom-fields/{}", fields[0]));
            app.send(app.client.delete(tier), &app.admin_key).await.expect(204);
        }
        let patched = app.patch(&path, &app.admin_key, patch).await;
        patched.expect(200);
        assert_eq!(patched.body["version"], i + 2);
        assert_eq!(app.get(&path, &app.admin_key).await.body, patched.body, "patch {i}");
    }
    // The archived field's value stayed stored, hidden, through both kinds of patch.
    app.post(&format!("/v1/custom-fields/{}/restore", fields[0]), &app.admin_key, json!({})).await.expect(200);
    assert_eq!(app.get(&path, &app.admin_key).await.body["custom"], json!({"tier": "gold"}));
}

/// A create writes its row, e-mails, tags, external ids, custom value index, search words,
/// audit row and event together (one statement on PostgreSQL, no transaction around it): eight
/// concurrent creates claiming the same external id make one contact, and the others leave no
/// row of any kind behind.
async fn a_create_is_whole_or_nothing_under_concurrency(app: TestApp) {
    let field = json!({"record_type": "contact", "key": "score", "label": "Score", "type": "number"});
    app.post("/v1/custom-fields", &app.admin_key, field).await.expect(201);
    let creates = (0..8).map(|i| {
        let contact = json!({
            "first_name": format!("Racer{i}"), "emails": [{"address": format!("racer{i}@example.com")}],
            "tags": ["race", format!("t{i}")], "external_ids": {"shop": "same"}, "custom": {"score": i}
        });
        app.post("/v1/contacts", &app.admin_key, contact)
    });
    let replies = futures_util::future::join_all(creates).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(won.len(), 1, "{:?}", replies.iter().map(|r| (r.status, r.text.clone())).collect::<Vec<_>>());
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.status, 409, "{}", reply.text);
    }
    let winner = &won[0].body;
    assert_eq!(app.count("contacts"), 1);
    assert_eq!(app.count("contact_emails"), 1);
    assert_eq!(app.count("record_tags"), 2);
    assert_eq!(app.count("external_ids"), 1);
    assert_eq!(app.count("custom_field_values"), 1);
    assert_eq!(app.event_types().iter().filter(|t| *t == "contact.created").count(), 1);
    let path = format!("/v1/contacts/{}", winner["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &app.admin_key).await.body, *winner);
    // What went with the row is what the lists, the filter language and the search read.
    let score = winner["custom"]["score"].clone();
    let filter = json!({"filter": {"field": "custom.score", "op": "eq", "value": score}});
    let found = app.post("/v1/contacts/search", &app.admin_key, filter).await;
    found.expect(200);
    assert_eq!(found.body["data"][0]["id"], winner["id"]);
    assert_eq!(listed_ids(&app, "tag=race").await, [winner["id"].as_str().unwrap()]);
    let name = winner["first_name"].as_str().unwrap().to_lowercase();
    assert_eq!(found_ids(&app, &name).await, [winner["id"].as_str().unwrap()]);
}

/// Text is stored in NFC; a body in another charset, or of another shape, is refused with a
/// detail that names no type of the server's.
async fn text_is_clean_at_the_edge(app: TestApp) {
    let created =
        app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Zoe\u{308}", "last_name": "Brontë"})).await;
    created.expect(201);
    assert_eq!(created.body["first_name"], "Zo\u{eb}", "stored composed (NFC)");
    // Typed composed, found whichever way it was sent.
    let found = app.get("/v1/search?q=zo%C3%AB", &app.admin_key).await;
    found.expect(200);
    assert!(found.text.contains(created.body["id"].as_str().unwrap()), "{}", found.text);

    let contacts = app.count("contacts");
    let latin1 = app
        .send(
            app.client
                .post(app.url("/v1/contacts"))
                .header("Content-Type", "application/json; charset=iso-8859-1")
                .body(b"{\"first_name\": \"Jos\xe9\"}".to_vec()),
            &app.admin_key,
        )
        .await;
    latin1.expect_problem(415, "unsupported_media_type");
    for body in ["[]", "null", "\"Ada\"", r#"{"first_name": ["\u00c9"]}"#] {
        let reply = app
            .send(
                app.client.post(app.url("/v1/contacts")).header("Content-Type", "application/json").body(body),
                &app.admin_key,
            )
            .await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.text);
        assert!(!reply.text.contains("ContactIn") && !reply.text.contains("struct"), "{body}: {}", reply.text);
    }
    assert_eq!(app.count("contacts"), contacts);

    // Multi-line fields keep their lines and tabs.
    let contact = created.body["id"].as_str().unwrap();
    let note = json!({"kind": "note", "body": "Called.\n\tWants the annual plan.", "contact_ids": [contact]});
    let activity = app.post("/v1/activities", &app.admin_key, note).await;
    activity.expect(201);
    assert_eq!(activity.body["body"], "Called.\n\tWants the annual plan.");
}
