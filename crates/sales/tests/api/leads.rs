//! Leads: fields and their checks, lists and searches, upserts, trash, and conversion into a
//! contact, a company and a deal without duplicates, once.

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, events, id};

fn grace() -> Value {
    json!({
        "first_name": "Grace", "last_name": "Hopper", "email": "Grace@Globex.example", "phone": "+1 415 555 0132",
        "job_title": "CTO", "company_name": "Globex", "company_domain": "https://www.globex.example/", "industry": "Software",
        "employee_count": 120, "country": "US", "source": "webinar", "status": "working",
        "budget": {"amount": 5000000, "currency": "USD"}, "authority": "decision_maker",
        "need": "Replace the spreadsheet pipeline", "timeline": "2027-03-31", "tags": ["inbound"],
        "external_ids": {"marketo": "L-99"}
    })
}

async fn leads_are_checked_listed_and_upserted(app: TestApp) {
    let created = app.post("/v1/leads", &app.sales_token, grace()).await;
    created.expect(201);
    let lead = id(&created.body);
    assert_eq!(created.body["email"], "grace@globex.example");
    assert_eq!(created.body["phone"], "+14155550132");
    assert_eq!(created.body["company_domain"], "globex.example");
    assert_eq!(created.body["status"], "working");
    assert_eq!(created.body["budget"], json!({"amount": 5000000, "currency": "USD"}));
    assert_eq!(created.body["score"], 0);
    assert_eq!(created.body["converted_to"], Value::Null);

    let before = app.count("leads");
    for (body, pointer) in [
        (json!({"email": "not an e-mail"}), "/email"),
        (json!({"last_name": "X", "country": "USA"}), "/country"),
        (json!({"last_name": "X", "status": "disqualified"}), "/disqualified_reason"),
        (json!({"last_name": "X", "status": "converted"}), "/status"),
        (json!({"last_name": "X", "budget": {"amount": -1, "currency": "USD"}}), "/budget/amount"),
        (json!({"job_title": "CTO"}), "/last_name"),
        (json!({"last_name": "X", "owner_id": "usr_nobody"}), "/owner_id"),
    ] {
        let reply = app.post("/v1/leads", &app.sales_token, body.clone()).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{body}: {}", reply.text);
    }
    app.post("/v1/leads", &app.read_only_token, json!({"last_name": "X"})).await.expect(403);
    assert_eq!(app.count("leads"), before);
    app.get(&format!("/v1/leads/{lead}"), &app.other_org_key).await.expect(404);

    let disqualified = app
        .post(
            "/v1/leads",
            &app.sales_token,
            json!({"email": "spam@example.com", "status": "disqualified", "disqualified_reason": "Spam"}),
        )
        .await;
    disqualified.expect(201);
    let listed = app.get("/v1/leads?status=working", &app.read_only_token).await;
    listed.expect(200);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    let by_email = app.get("/v1/leads?email=GRACE@globex.example", &app.admin_key).await;
    assert_eq!(by_email.body["data"][0]["id"], lead.as_str());
    let search = json!({"filter": {"all": [{"field": "timeline", "op": "lt", "value": "2027-06-01"}, {"field": "budget_amount", "op": "gte", "value": 1000}]}});
    let found = app.post("/v1/leads/search", &app.admin_key, search).await;
    found.expect(200);
    assert_eq!(found.body["data"].as_array().unwrap().len(), 1);
    let text = app.post("/v1/leads/search", &app.admin_key, json!({"query": "globex"})).await;
    assert_eq!(text.body["data"].as_array().unwrap().len(), 1);

    // An upsert by external id creates, then sets only the fields given.
    let url = "/v1/external-ids/marketo/L-100/lead";
    let first = app
        .put(
            url,
            &app.sales_token,
            json!({"last_name": "Lovelace", "source": "form", "external_ids": {"marketo": "L-7", "hubspot": "9"}}),
        )
        .await;
    first.expect(201);
    assert_eq!(first.body["external_ids"], json!({"hubspot": "9", "marketo": "L-100"}), "the path's id wins");
    let second = app.put(url, &app.sales_token, json!({"status": "qualified"})).await;
    second.expect(200);
    assert_eq!((second.body["id"].as_str(), second.body["source"].as_str()), (first.body["id"].as_str(), Some("form")));
    assert_eq!(second.body["status"], "qualified");
    let again = app.put(url, &app.sales_token, json!({"status": "qualified"})).await;
    again.expect(200);
    assert_eq!(again.body["version"], second.body["version"], "the same fields again change nothing");

    // Trash and back.
    app.delete(&format!("/v1/leads/{lead}"), &app.sales_token).await.expect(204);
    app.get(&format!("/v1/leads/{lead}"), &app.admin_key).await.expect(404);
    let restored = app.post(&format!("/v1/leads/{lead}/restore"), &app.sales_token, json!({})).await;
    restored.expect(200);
    assert_eq!(restored.body["external_ids"], json!({"marketo": "L-99"}));
    let kinds: Vec<String> =
        events(&app, "lead.*").await.into_iter().filter(|(_, of)| *of == lead).map(|(t, _)| t).collect();
    assert_eq!(kinds, ["lead.created", "lead.deleted", "lead.restored"]);
}

async fn conversion_links_what_exists_and_creates_the_rest_once(app: TestApp) {
    // Globex and Grace exist already: the conversion links them.
    let company =
        app.post("/v1/companies", &app.admin_key, json!({"name": "Globex Corp", "domain": "globex.example"})).await;
    let contact = app
        .post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": "G.", "emails": [{"address": "grace@globex.example"}]}),
        )
        .await;
    let lead = id(&app.post("/v1/leads", &app.sales_token, grace()).await.body);
    let note = app
        .post(
            "/v1/activities",
            &app.sales_token,
            json!({"kind": "note", "body": "Met at the webinar", "about": [{"record_type": "lead", "id": lead}]}),
        )
        .await;
    note.expect(201);
    let (contacts, companies) = (app.count("contacts"), app.count("companies"));

    app.post(&format!("/v1/leads/{lead}/convert"), &app.other_org_key, json!({})).await.expect(404);
    app.post(&format!("/v1/leads/{lead}/convert"), &app.read_only_token, json!({})).await.expect(403);
    app.post(&format!("/v1/leads/{lead}/convert"), &app.sales_token, json!({"contact_id": "con_nobody"}))
        .await
        .expect(422);
    let converted = app
        .post(&format!("/v1/leads/{lead}/convert"), &app.sales_token, json!({"deal": {"name": "Globex: first order"}}))
        .await;
    converted.expect(200);
    assert_eq!(converted.body["contact_id"], contact.body["id"]);
    assert_eq!(converted.body["contact_created"], false);
    assert_eq!(converted.body["company_id"], company.body["id"]);
    assert_eq!(converted.body["company_created"], false);
    assert_eq!((app.count("contacts"), app.count("companies")), (contacts, companies), "nothing duplicated");
    let deal = app.get(&format!("/v1/deals/{}", converted.body["deal_id"].as_str().unwrap()), &app.admin_key).await;
    deal.expect(200);
    assert_eq!(deal.body["amount"], json!({"amount": 5000000, "currency": "USD"}), "the budget");
    assert_eq!(deal.body["company_id"], company.body["id"]);
    assert_eq!(deal.body["contacts"][0]["contact_id"], contact.body["id"]);
    let lead_now = &converted.body["lead"];
    assert_eq!(lead_now["status"], "converted");
    assert_eq!(lead_now["converted_to"]["deal_id"], deal.body["id"]);
    assert!(lead_now["converted_at"].is_string());

    // The lead's activity follows the contact, the company and the deal.
    for url in [
        format!("/v1/contacts/{}/timeline", id(&contact.body)),
        format!("/v1/companies/{}/timeline", id(&company.body)),
        format!("/v1/deals/{}/timeline", id(&deal.body)),
    ] {
        let timeline = app.get(&url, &app.sales_token).await;
        timeline.expect(200);
        assert!(
            timeline.body["data"].as_array().unwrap().iter().any(|i| i["activity"]["id"] == note.body["id"]),
            "{url}: {}",
            timeline.text
        );
    }
    // The deal and the lead show on the contact's and company's timelines by their changes;
    // not to another organization, nor to a role that cannot read deals and leads.
    for url in [
        format!("/v1/contacts/{}/timeline", id(&contact.body)),
        format!("/v1/companies/{}/timeline", id(&company.body)),
    ] {
        let timeline = app.get(&url, &app.sales_token).await;
        let changed =
            |of: &str, action: &str| {
                timeline.body["data"].as_array().unwrap().iter().any(|i| {
                    i["type"] == "change" && i["change"]["resource_id"] == of && i["change"]["action"] == action
                })
            };
        assert!(changed(&id(&deal.body), "created"), "{url}: {}", timeline.text);
        assert!(changed(&lead, "converted") || changed(&lead, "updated"), "{url}: {}", timeline.text);
        app.get(&url, &app.other_org_key).await.expect(404);
    }
    let links = app.get(&format!("/v1/contacts/{}/companies", id(&contact.body)), &app.admin_key).await;
    assert_eq!(links.body["data"][0]["company"]["id"], company.body["id"], "{}", links.text);

    // Read-only from now on.
    app.patch(&format!("/v1/leads/{lead}"), &app.sales_token, json!({"need": "x"}))
        .await
        .expect_problem(409, "lead_converted");
    app.post(&format!("/v1/leads/{lead}/convert"), &app.sales_token, json!({}))
        .await
        .expect_problem(409, "lead_converted");
    let kinds: Vec<String> =
        events(&app, "lead.*").await.into_iter().filter(|(_, of)| *of == lead).map(|(t, _)| t).collect();
    assert_eq!(kinds, ["lead.created", "lead.converted"]);
    // Trashed and restored, it is still converted.
    app.delete(&format!("/v1/leads/{lead}"), &app.sales_token).await.expect(204);
    let restored = app.post(&format!("/v1/leads/{lead}/restore"), &app.sales_token, json!({})).await;
    restored.expect(200);
    assert_eq!(restored.body["status"], "converted");
    // A lead with a company alone needs the contact named.
    let nameless = id(&app.post("/v1/leads", &app.sales_token, json!({"company_name": "Initech"})).await.body);
    let reply = app.post(&format!("/v1/leads/{nameless}/convert"), &app.sales_token, json!({})).await;
    reply.expect(422);
    assert!(reply.text.contains("/contact_id"), "{}", reply.text);

    // A lead nobody knows yet: its contact and company are created, once, however many
    // conversions race.
    let fresh = json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@analytical.example", "company_name": "Analytical Engines", "company_domain": "analytical.example"});
    let fresh = id(&app.post("/v1/leads", &app.sales_token, fresh).await.body);
    let url = format!("/v1/leads/{fresh}/convert");
    let replies = futures_util::future::join_all((0..5).map(|_| app.post(&url, &app.sales_token, json!({})))).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "{:?}", replies.iter().map(|r| r.text.clone()).collect::<Vec<_>>());
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.expect_problem(409, "lead_converted");
    }
    assert_eq!(
        (won[0].body["contact_created"].as_bool(), won[0].body["company_created"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!((app.count("contacts"), app.count("companies")), (contacts + 1, companies + 1));
    let created =
        app.get(&format!("/v1/contacts/{}", won[0].body["contact_id"].as_str().unwrap()), &app.admin_key).await;
    assert_eq!(created.body["emails"][0]["address"], "ada@analytical.example");
    assert_eq!(created.body["lifecycle_stage"], "sales_qualified");
    crate::assert_totals_match(&app);
}

async fn batch(app: &TestApp, token: &str, body: Value) -> crm_test_support::Reply {
    app.post("/v1/leads/batch", token, body).await
}

async fn batches_create_update_and_upsert_each_input_alone(app: TestApp) {
    let input = |props: Value| json!({"properties": props});
    batch(&app, &app.admin_key, json!({"mode": "create", "inputs": []})).await.expect_problem(422, "validation_failed");
    batch(&app, &app.admin_key, json!({"mode": "upsert", "inputs": [input(json!({"last_name": "x"}))]}))
        .await
        .expect_problem(422, "validation_failed");
    batch(
        &app,
        &app.admin_key,
        json!({"mode": "update", "match_on": "shoe_size", "inputs": [input(json!({"last_name": "x"}))]}),
    )
    .await
    .expect(422);
    batch(&app, &app.read_only_token, json!({"mode": "create", "inputs": [input(json!({"last_name": "x"}))]}))
        .await
        .expect(403);
    assert_eq!(app.count("leads"), 0, "refused batches change nothing");

    let created = batch(
        &app,
        &app.sales_token,
        json!({"mode": "create", "inputs": [
            input(json!({"last_name": "Hopper", "email": "grace@globex.example", "external_ids": {"marketo": "L-1"}})),
            input(json!({"last_name": "Turing", "external_ids": {"marketo": "L-2"}})),
            input(json!({"job_title": "nameless"})),
        ]}),
    )
    .await;
    created.expect(200);
    assert_eq!(
        (created.body["created"].as_u64(), created.body["failed"].as_u64()),
        (Some(2), Some(1)),
        "{}",
        created.text
    );
    assert_eq!(created.body["results"][2]["status"], "error");
    assert!(created.text.contains("/inputs/2/properties/last_name"), "{}", created.text);
    let hopper = created.body["results"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(app.count("leads"), 2, "the failing input rolled back alone");

    // An upsert by external id updates what it finds and creates the rest; again, nothing changes.
    let upsert = json!({"mode": "upsert", "match_on": "external_id:marketo", "inputs": [
        input(json!({"job_title": "CTO", "external_ids": {"marketo": "L-1"}})),
        input(json!({"last_name": "Lovelace", "external_ids": {"marketo": "L-3"}})),
    ]});
    let upserted = batch(&app, &app.sales_token, upsert.clone()).await;
    assert_eq!(
        (upserted.body["updated"].as_u64(), upserted.body["created"].as_u64()),
        (Some(1), Some(1)),
        "{}",
        upserted.text
    );
    assert_eq!(upserted.body["results"][0]["id"], hopper);
    let stored = app.get(&format!("/v1/leads/{hopper}"), &app.admin_key).await;
    assert_eq!((stored.body["job_title"].as_str(), stored.body["last_name"].as_str()), (Some("CTO"), Some("Hopper")));
    let again = batch(&app, &app.sales_token, upsert).await;
    assert_eq!(again.body["unchanged"], 2, "{}", again.text);
    // An upsert by one source keeps the lead's ids in the others.
    let url = format!("/v1/leads/{hopper}");
    app.patch(&url, &app.admin_key, json!({"external_ids": {"marketo": "L-1", "sfdc": "S-1"}})).await.expect(200);
    let vp = json!({"mode": "upsert", "match_on": "external_id:marketo", "inputs": [
        input(json!({"job_title": "VP", "external_ids": {"marketo": "L-1"}}))]});
    batch(&app, &app.sales_token, vp).await.expect(200);
    let kept = app.get(&url, &app.admin_key).await;
    assert_eq!(kept.body["external_ids"], json!({"marketo": "L-1", "sfdc": "S-1"}), "{}", kept.text);
    app.patch(&url, &app.admin_key, json!({"job_title": "CTO"})).await.expect(200);

    // Updates by e-mail: an unknown address is an error of its input.
    let updated = batch(
        &app,
        &app.sales_token,
        json!({"mode": "update", "match_on": "email", "inputs": [
            input(json!({"email": "GRACE@globex.example", "need": "A pipeline"})),
            input(json!({"email": "nobody@globex.example", "need": "x"})),
        ]}),
    )
    .await;
    assert_eq!(
        (updated.body["updated"].as_u64(), updated.body["failed"].as_u64()),
        (Some(1), Some(1)),
        "{}",
        updated.text
    );
    assert_eq!(updated.body["results"][1]["error"]["status"], 404);

    // Atomic: one failure, nothing saved.
    let before = (app.count("leads"), app.event_types().len());
    batch(
        &app,
        &app.sales_token,
        json!({"mode": "create", "atomic": true, "inputs": [
            input(json!({"last_name": "Babbage"})), input(json!({"last_name": "x", "status": "converted"})),
        ]}),
    )
    .await
    .expect_problem(422, "batch_failed");
    assert_eq!((app.count("leads"), app.event_types().len()), before, "nothing saved, no event");

    // Another organization cannot reach these leads by id.
    let foreign = batch(
        &app,
        &app.other_org_key,
        json!({"mode": "update", "match_on": "id", "inputs": [
            {"id": hopper, "properties": {"last_name": "Mallory"}},
        ]}),
    )
    .await;
    assert_eq!(foreign.body["failed"], 1, "{}", foreign.text);
    assert_eq!(app.get(&format!("/v1/leads/{hopper}"), &app.admin_key).await.body["last_name"], "Hopper");
    let kinds = events(&app, "lead.created").await.len();
    assert_eq!(kinds, 3);
}

/// Erasing a contact anonymizes the leads that were the same person: one with their e-mail
/// address, one converted into them; a lead of someone else is left as it is.
async fn erasing_a_contact_anonymizes_their_leads(app: TestApp) {
    let lead = |body: Value| {
        let app = &app;
        async move {
            let created = app.post("/v1/leads", &app.admin_key, body).await;
            created.expect(201);
            id(&created.body)
        }
    };
    let by_email = lead(json!({
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958",
        "need": "Ada Lovelace wants a quote for 40 seats", "tags": ["webinar"]
    }))
    .await;
    let converted =
        lead(json!({"first_name": "Augusta", "last_name": "King", "company_name": "Analytical Engines"})).await;
    let other = lead(json!({"first_name": "Charles", "last_name": "Babbage", "email": "charles@example.com"})).await;
    let contact = app
        .post(
            "/v1/contacts",
            &app.admin_key,
            json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@example.com"}]}),
        )
        .await;
    contact.expect(201);
    let contact_id = id(&contact.body);
    app.post(&format!("/v1/leads/{converted}/convert"), &app.admin_key, json!({"contact_id": contact_id}))
        .await
        .expect(200);

    let erased = app.post(&format!("/v1/contacts/{contact_id}/erase"), &app.admin_key, json!({})).await;
    erased.expect(200);
    assert_eq!(erased.body["records_scrubbed"], json!({"lead": 2}), "{}", erased.text);
    let anonymized = app.get(&format!("/v1/leads/{by_email}"), &app.admin_key).await;
    assert_eq!(
        (anonymized.body["first_name"].clone(), anonymized.body["last_name"].clone(), anonymized.body["email"].clone()),
        (Value::Null, json!("Erased lead"), Value::Null)
    );
    assert_eq!((anonymized.body["phone"].clone(), anonymized.body["tags"].clone()), (Value::Null, json!([])));
    assert_eq!(anonymized.body["need"], "[erased] wants a quote for 40 seats");
    let was_converted = app.get(&format!("/v1/leads/{converted}"), &app.admin_key).await;
    assert_eq!(
        (was_converted.body["last_name"].as_str(), was_converted.body["status"].as_str()),
        (Some("Erased lead"), Some("converted"))
    );
    let kept = app.get(&format!("/v1/leads/{other}"), &app.admin_key).await;
    assert_eq!(kept.body["email"], "charles@example.com");
    let found = app.post("/v1/leads/search", &app.admin_key, json!({"query": "lovelace"})).await;
    found.expect(200);
    assert_eq!(found.body["data"], json!([]), "nothing found by the erased name: {}", found.text);
}

both!(
    erasing_a_contact_anonymizes_their_leads,
    leads_are_checked_listed_and_upserted,
    conversion_links_what_exists_and_creates_the_rest_once,
    batches_create_update_and_upsert_each_input_alone
);
