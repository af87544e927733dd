//! Privacy: consent, subscriptions, the suppression list, personal-data export, erasure and the
//! trash purge.

use crm_core::db::DbConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::both;
use crate::support::{Backend, TestApp};

both!(
    privacy_consents_and_unsubscribes,
    privacy_suppression_list,
    privacy_subscriptions,
    privacy_personal_data_export,
    privacy_erase_leaves_nothing
);

/// The purge is run by the test itself: without job workers, so the scheduled hourly purge
/// (due at once on a new database) cannot purge the back-dated trash first.
#[actix_web::test]
async fn privacy_trash_purge_sqlite() {
    privacy_trash_purge(TestApp::spawn_with(Backend::Sqlite, &[("CRM_JOB_WORKERS", "0")]).await).await
}

#[actix_web::test]
async fn privacy_trash_purge_postgres() {
    privacy_trash_purge(TestApp::spawn_with(Backend::Postgres, &[("CRM_JOB_WORKERS", "0")]).await).await
}

fn id_of(reply: &crate::support::Reply) -> String {
    reply.body["id"].as_str().unwrap().to_string()
}

async fn new_contact(app: &TestApp, body: Value) -> String {
    let reply = app.post("/v1/contacts", &app.admin_key, body).await;
    reply.expect(201);
    id_of(&reply)
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::support::Reply {
    app.send(app.client.put(app.url(path)).json(&body), token).await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> crate::support::Reply {
    app.send(app.client.delete(app.url(path)), token).await
}

fn pointers(reply: &crate::support::Reply) -> Vec<String> {
    reply.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect()
}

/// Rows of `table` whose `column`, lower-cased, contains `needle`.
fn mentions(app: &TestApp, table: &str, column: &str, needle: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE lower(COALESCE({column}, '')) LIKE '%{needle}%'");
    let mut conn = app.conn();
    let count: Count = match &mut *conn {
        DbConnection::Postgres(c) => diesel::sql_query(sql).get_result(c).unwrap(),
        DbConnection::Sqlite(c) => diesel::sql_query(sql).get_result(c).unwrap(),
    };
    count.n
}

fn is_suppressed(app: &TestApp, email: &str) -> bool {
    crm_contacts::suppression::service::is_suppressed(&mut app.conn(), &app.state.keys, &app.system_scope(), email)
        .unwrap()
}

async fn privacy_consents_and_unsubscribes(app: TestApp) {
    let id = new_contact(
        &app,
        json!({"first_name": "Ada", "emails": [{"address": "ada@example.com"}, {"address": "ada@home.example"}]}),
    )
    .await;
    let consents = app.get(&format!("/v1/contacts/{id}/consents"), &app.read_only_token).await;
    consents.expect(200);
    let statuses: Vec<(&str, &str)> = consents.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["channel"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("email", "unknown"), ("sms", "unknown"), ("phone", "unknown")]);

    let path = format!("/v1/contacts/{id}/consents/email");
    let granted =
        put(&app, &path, &app.sales_token, json!({"status": "granted", "source": "web_form:newsletter"})).await;
    granted.expect(200);
    assert_eq!(granted.body["status"], "granted");
    assert_eq!(granted.body["lawful_basis"], "consent", "granted defaults to the consent basis");
    assert_eq!(granted.body["version"], 1);
    // The same again changes nothing.
    let events = app.event_types().len();
    put(&app, &path, &app.sales_token, json!({"status": "granted", "source": "web_form:newsletter"})).await.expect(200);
    assert_eq!(app.event_types().len(), events);

    // Bad input: 422 with pointers, nothing changed.
    let future = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    for (body, pointer) in [
        (json!({"status": "maybe"}), "/status"),
        (json!({"status": "granted", "lawful_basis": "because"}), "/lawful_basis"),
        (json!({"status": "granted", "recorded_at": future}), "/recorded_at"),
        (json!({"status": "granted", "recorded_at": "yesterday"}), "/recorded_at"),
        (json!({"status": "granted", "source": "x".repeat(201)}), "/source"),
        (json!({"status": "granted", "colour": "red"}), "/colour"),
    ] {
        let reply = put(&app, &path, &app.admin_key, body.clone()).await;
        reply.expect(422);
        assert!(pointers(&reply).contains(&pointer.to_string()), "{body} gave {:?}", pointers(&reply));
    }
    assert_eq!(app.event_types().len(), events);
    put(&app, &format!("/v1/contacts/{id}/consents/fax"), &app.admin_key, json!({"status": "granted"}))
        .await
        .expect_problem(404, "not_found");
    put(&app, &path, &app.read_only_token, json!({"status": "denied"})).await.expect_problem(403, "forbidden");
    put(&app, &path, &app.other_org_key, json!({"status": "denied"})).await.expect(404);
    app.get(&format!("/v1/contacts/{id}/consents"), &app.other_org_key).await.expect(404);

    // Withdrawing e-mail consent suppresses every address of the contact.
    assert!(!is_suppressed(&app, "ada@example.com"));
    let withdrawn = put(
        &app,
        &path,
        &app.sales_token,
        json!({"status": "withdrawn", "lawful_basis": "consent", "source": "unsubscribe_link", "recorded_at": "2026-01-02T03:04:05Z"}),
    )
    .await;
    withdrawn.expect(200);
    assert_eq!(withdrawn.body["recorded_at"], "2026-01-02T03:04:05Z");
    assert_eq!(withdrawn.body["version"], 2);
    assert!(is_suppressed(&app, "ADA@example.com "));
    assert!(is_suppressed(&app, "ada@home.example"));
    let list = app.get("/v1/email-suppressions?reason=unsubscribed", &app.admin_key).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(list.body["data"][0]["source"], "consent:unsubscribe_link");
    let types = app.event_types();
    assert!(types.contains(&"contact.consent_changed".to_string()), "{types:?}");
    assert!(types.contains(&"email_suppression.created".to_string()), "{types:?}");

    // History (and so the timeline) shows each change, before and after.
    let history = app.get(&format!("/v1/contacts/{id}/history"), &app.read_only_token).await;
    let latest = &history.body["data"][0];
    assert_eq!(latest["action"], "consent_changed");
    assert_eq!(latest["changes"]["status"], json!({"before": "granted", "after": "withdrawn"}));

    // Granting again lifts the unsubscribe, but not a bounce.
    app.post("/v1/email-suppressions", &app.admin_key, json!({"email": "bounce@example.com", "reason": "bounced"}))
        .await
        .expect(201);
    put(&app, &path, &app.sales_token, json!({"status": "granted"})).await.expect(200);
    assert!(!is_suppressed(&app, "ada@example.com"));
    assert!(is_suppressed(&app, "bounce@example.com"));
    put(&app, &format!("/v1/contacts/{id}/consents/sms"), &app.sales_token, json!({"status": "denied"}))
        .await
        .expect(200);
    let consents = app.get(&format!("/v1/contacts/{id}/consents"), &app.read_only_token).await;
    assert_eq!(consents.body["data"][1]["status"], "denied");
    assert!(consents.body["data"][1]["lawful_basis"].is_null());
}

async fn privacy_suppression_list(app: TestApp) {
    let created = app
        .post(
            "/v1/email-suppressions",
            &app.sales_token,
            json!({"email": " Bounce@Example.com", "reason": "bounced", "source": "smtp:550"}),
        )
        .await;
    created.expect(201);
    let id = id_of(&created);
    assert!(id.starts_with("sup_"));
    assert_eq!(created.body["email"], "bounce@example.com");
    assert_eq!(created.header("location"), Some(format!("/v1/email-suppressions/{id}").as_str()));
    app.post("/v1/email-suppressions", &app.admin_key, json!({"email": "BOUNCE@example.com", "reason": "complained"}))
        .await
        .expect_problem(409, "already_suppressed");
    let before = app.count("email_suppressions");
    for (body, pointer) in [
        (json!({"email": "nope", "reason": "bounced"}), "/email"),
        (json!({"email": "a@example.com", "reason": "annoyed"}), "/reason"),
        (json!({"email": "a@example.com"}), "/reason"),
        (json!({"email": "a@example.com", "reason": "bounced", "extra": 1}), "/extra"),
    ] {
        let reply = app.post("/v1/email-suppressions", &app.admin_key, body.clone()).await;
        reply.expect(422);
        assert!(pointers(&reply).contains(&pointer.to_string()), "{body} gave {:?}", pointers(&reply));
    }
    assert_eq!(app.count("email_suppressions"), before);
    app.post("/v1/email-suppressions", &app.read_only_token, json!({"email": "x@example.com", "reason": "bounced"}))
        .await
        .expect(403);
    app.post("/v1/email-suppressions", &app.admin_key, json!({"email": "c@example.com", "reason": "complained"}))
        .await
        .expect(201);
    app.post("/v1/email-suppressions", &app.admin_key, json!({"email": "u@example.com", "reason": "unsubscribed"}))
        .await
        .expect(201);

    let page = app.get("/v1/email-suppressions?limit=2", &app.read_only_token).await;
    page.expect(200);
    assert_eq!(page.body["data"].as_array().unwrap().len(), 2);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/v1/email-suppressions?limit=2&cursor={cursor}"), &app.read_only_token).await;
    assert_eq!(rest.body["data"].as_array().unwrap().len(), 1);
    assert!(!rest.body["has_more"].as_bool().unwrap());
    let complained = app.get("/v1/email-suppressions?reason=complained", &app.admin_key).await;
    assert_eq!(complained.body["data"][0]["email"], "c@example.com");
    let by_email = app.get("/v1/email-suppressions?email=BOUNCE@example.com", &app.admin_key).await;
    assert_eq!(by_email.body["data"][0]["id"], id.as_str());
    app.get("/v1/email-suppressions?reason=annoyed", &app.admin_key).await.expect(400);
    app.get("/v1/email-suppressions", &app.other_org_key).await.body["data"]
        .as_array()
        .unwrap()
        .is_empty()
        .then_some(())
        .unwrap();

    let path = format!("/v1/email-suppressions/{id}");
    app.get(&path, &app.read_only_token).await.expect(200);
    app.get(&path, &app.other_org_key).await.expect(404);
    delete(&app, &path, &app.other_org_key).await.expect(404);
    delete(&app, &path, &app.read_only_token).await.expect(403);
    assert!(is_suppressed(&app, "bounce@example.com"));
    assert_eq!(delete(&app, &path, &app.sales_token).await.status, 204);
    assert!(!is_suppressed(&app, "bounce@example.com"));
    app.get(&path, &app.admin_key).await.expect(404);
    assert_eq!(app.event_types().last().map(String::as_str), Some("email_suppression.deleted"));
}

async fn privacy_subscriptions(app: TestApp) {
    let created = app
        .post(
            "/v1/subscription-types",
            &app.sales_token,
            json!({"name": " Monthly newsletter ", "description": "News", "channel": "email"}),
        )
        .await;
    created.expect(201);
    let news = id_of(&created);
    assert!(news.starts_with("subt_"));
    assert_eq!(created.body["name"], "Monthly newsletter");
    app.post("/v1/subscription-types", &app.admin_key, json!({"name": "Monthly newsletter"}))
        .await
        .expect_problem(409, "duplicate_subscription_type");
    let before = app.count("subscription_types");
    for (body, pointer) in [
        (json!({"name": ""}), "/name"),
        (json!({"name": "   "}), "/name"),
        (json!({"name": "x".repeat(101)}), "/name"),
        (json!({"name": "A", "channel": "pigeon"}), "/channel"),
        (json!({"description": "no name"}), "/name"),
    ] {
        let reply = app.post("/v1/subscription-types", &app.admin_key, body.clone()).await;
        reply.expect(422);
        assert!(pointers(&reply).contains(&pointer.to_string()), "{body} gave {:?}", pointers(&reply));
    }
    assert_eq!(app.count("subscription_types"), before);
    app.post("/v1/subscription-types", &app.read_only_token, json!({"name": "No"})).await.expect(403);
    let sms = id_of(
        &app.post("/v1/subscription-types", &app.admin_key, json!({"name": "Flash sales", "channel": "sms"})).await,
    );

    let path = format!("/v1/subscription-types/{news}");
    let patched = app.patch(&path, &app.admin_key, json!({"description": null})).await;
    patched.expect(200);
    assert!(patched.body["description"].is_null());
    assert_eq!(patched.body["version"], 2);
    app.patch(&path, &app.admin_key, json!({"name": null})).await.expect(422);
    app.patch(&path, &app.admin_key, json!({"name": "Flash sales"}))
        .await
        .expect_problem(409, "duplicate_subscription_type");
    app.patch(&path, &app.other_org_key, json!({"name": "Stolen"})).await.expect(404);
    let listed = app.get("/v1/subscription-types?sort=name", &app.read_only_token).await;
    let names: Vec<&str> =
        listed.body["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Flash sales", "Monthly newsletter"]);
    let only_sms = app.get("/v1/subscription-types?channel=sms", &app.read_only_token).await;
    assert_eq!(only_sms.body["data"].as_array().unwrap().len(), 1);

    let contact = new_contact(&app, json!({"first_name": "Lin"})).await;
    let subs = app.get(&format!("/v1/contacts/{contact}/subscriptions"), &app.read_only_token).await;
    subs.expect(200);
    assert_eq!(subs.body["data"].as_array().unwrap().len(), 2);
    assert!(subs.body["data"].as_array().unwrap().iter().all(|s| s["status"] == "not_subscribed"));
    let sub_path = format!("/v1/contacts/{contact}/subscriptions/{news}");
    let set =
        put(&app, &sub_path, &app.sales_token, json!({"status": "subscribed", "source": "preference_center"})).await;
    set.expect(200);
    assert_eq!(set.body["status"], "subscribed");
    assert_eq!(set.body["name"], "Monthly newsletter");
    assert_eq!(app.event_types().last().map(String::as_str), Some("contact.subscription_changed"));
    put(&app, &sub_path, &app.sales_token, json!({"status": "maybe"})).await.expect(422);
    put(&app, &sub_path, &app.read_only_token, json!({"status": "unsubscribed"})).await.expect(403);
    put(&app, &sub_path, &app.other_org_key, json!({"status": "unsubscribed"})).await.expect(404);
    put(
        &app,
        &format!("/v1/contacts/{contact}/subscriptions/subt_nothere"),
        &app.admin_key,
        json!({"status": "subscribed"}),
    )
    .await
    .expect(404);
    put(&app, &sub_path, &app.sales_token, json!({"status": "unsubscribed"})).await.expect(200);
    let subs = app.get(&format!("/v1/contacts/{contact}/subscriptions"), &app.read_only_token).await;
    let statuses: Vec<&str> =
        subs.body["data"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["unsubscribed", "not_subscribed"]);
    let history = app.get(&format!("/v1/contacts/{contact}/history"), &app.read_only_token).await;
    assert_eq!(history.body["data"][0]["changes"]["status"], json!({"before": "subscribed", "after": "unsubscribed"}));

    assert_eq!(delete(&app, &format!("/v1/subscription-types/{sms}"), &app.admin_key).await.status, 204);
    assert_eq!(delete(&app, &path, &app.admin_key).await.status, 204);
    assert_eq!(app.count("contact_subscriptions"), 0);
    app.get(&path, &app.admin_key).await.expect(404);
}

async fn privacy_personal_data_export(app: TestApp) {
    let id = new_contact(
        &app,
        json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@example.com"}],
               "tags": ["vip"], "external_ids": {"shopify": "7712"}}),
    )
    .await;
    let company = id_of(&app.post("/v1/companies", &app.admin_key, json!({"name": "Analytical Engines"})).await);
    put(&app, &format!("/v1/contacts/{id}/companies/{company}"), &app.admin_key, json!({"role": "Analyst"}))
        .await
        .expect(200);
    app.post("/v1/activities", &app.admin_key, json!({"kind": "note", "body": "Met Ada", "contact_ids": [id]}))
        .await
        .expect(201);
    put(&app, &format!("/v1/contacts/{id}/consents/email"), &app.admin_key, json!({"status": "withdrawn"}))
        .await
        .expect(200);
    app.patch(&format!("/v1/contacts/{id}"), &app.admin_key, json!({"job_title": "Analyst"})).await.expect(200);
    let mail = json!({"to": ["Ada@Example.com"], "subject": "Your invoice", "text": "Hello Ada"});
    app.post("/v1/mail/messages", &app.admin_key, mail).await.expect(202);
    let other = json!({"to": ["bada@example.com"], "subject": "Not Ada's", "text": "Hello"});
    app.post("/v1/mail/messages", &app.admin_key, other).await.expect(202);

    let path = format!("/v1/contacts/{id}/personal-data");
    let export = app.get(&path, &app.admin_key).await;
    export.expect(200);
    let doc = &export.body;
    assert_eq!(doc["contact"]["id"], id.as_str());
    assert_eq!(doc["contact"]["emails"][0]["address"], "ada@example.com");
    assert_eq!(doc["contact"]["tags"], json!(["vip"]));
    assert_eq!(doc["contact"]["external_ids"], json!({"shopify": "7712"}));
    assert_eq!(doc["companies"][0]["company"]["name"], "Analytical Engines");
    assert_eq!(doc["companies"][0]["role"], "Analyst");
    assert_eq!(doc["activities"][0]["body"], "Met Ada");
    assert_eq!(doc["consents"][0]["status"], "withdrawn");
    assert_eq!(doc["email_suppressions"][0]["reason"], "unsubscribed");
    let actions: Vec<&str> = doc["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["created", "company_linked", "consent_changed", "updated"]);
    assert!(doc["erased_at"].is_null() && doc["deleted_at"].is_null());
    let mails: Vec<&str> =
        doc["mail_messages"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(mails, ["Your invoice"], "the mail sent to the person, and only theirs");

    app.get(&path, &app.sales_token).await.expect_problem(403, "forbidden");
    app.get(&path, &app.read_only_token).await.expect(403);
    app.get(&path, &app.other_org_key).await.expect(404);
    app.get("/v1/contacts/con_nothere/personal-data", &app.admin_key).await.expect(404);
    // A contact in the trash is still held, so it is still exported.
    assert_eq!(delete(&app, &format!("/v1/contacts/{id}"), &app.admin_key).await.status, 204);
    let trashed = app.get(&path, &app.admin_key).await;
    trashed.expect(200);
    assert!(trashed.body["deleted_at"].is_string());
}

async fn privacy_erase_leaves_nothing(app: TestApp) {
    let create = app
        .send(
            app.client.post(app.url("/v1/contacts")).header("Idempotency-Key", "ada-1").json(&json!({
                "first_name": "Ada", "last_name": "Lovelace",
                "emails": [{"address": "Ada@Example.com"}, {"address": "countess@home.example"}],
                "phones": [{"number": "+44 20 7946 0958"}], "addresses": [{"city": "London"}],
                "job_title": "Analyst", "tags": ["vip"], "external_ids": {"shopify": "ADA-7712"}
            })),
            &app.admin_key,
        )
        .await;
    create.expect(201);
    let ada = id_of(&create);
    let grace = new_contact(&app, json!({"first_name": "Grace", "last_name": "Hopper"})).await;
    let company = id_of(&app.post("/v1/companies", &app.admin_key, json!({"name": "Engines"})).await);
    put(&app, &format!("/v1/contacts/{ada}/companies/{company}"), &app.admin_key, json!({})).await.expect(200);
    let note = app
        .post(
            "/v1/activities",
            &app.sales_token,
            json!({"kind": "note", "body": "Ada Lovelace wants the annual plan", "contact_ids": [ada], "company_ids": [company]}),
        )
        .await;
    note.expect(201);
    let meeting = app
        .post(
            "/v1/activities",
            &app.sales_token,
            json!({"kind": "meeting", "subject": "Review with Ada Lovelace and Grace", "starts_at": "2026-11-20T10:00:00Z",
                   "body": "Write to ada@example.com after", "attendees": ["Ada <ADA@example.com>", "Grace Hopper"],
                   "contact_ids": [ada, grace]}),
        )
        .await;
    meeting.expect(201);
    let meeting = id_of(&meeting);
    let elsewhere = app
        .post(
            "/v1/activities",
            &app.sales_token,
            json!({"kind": "note", "body": "Grace says cc countess@home.example", "contact_ids": [grace]}),
        )
        .await;
    elsewhere.expect(201);
    let elsewhere = id_of(&elsewhere);
    put(&app, &format!("/v1/contacts/{ada}/consents/email"), &app.admin_key, json!({"status": "withdrawn"}))
        .await
        .expect(200);
    app.patch(&format!("/v1/contacts/{ada}"), &app.admin_key, json!({"job_title": "Countess"})).await.expect(200);
    let mail = json!({"to": ["countess@home.example"], "subject": "Dear Lovelace", "text": "ADA-7712 shipped"});
    let mail = app.post("/v1/mail/messages", &app.admin_key, mail).await;
    let mail = mail.expect(202).body["id"].as_str().unwrap().to_string();
    assert!(mentions(&app, "events", "data", "ada@example.com") > 0);
    assert!(mentions(&app, "email_suppressions", "email", "ada@example.com") > 0);

    let path = format!("/v1/contacts/{ada}/erase");
    app.post(&path, &app.sales_token, json!({})).await.expect_problem(403, "forbidden");
    app.post(&path, &app.other_org_key, json!({})).await.expect(404);
    app.post("/v1/contacts/con_nothere/erase", &app.admin_key, json!({})).await.expect(404);
    let erased = app.post(&path, &app.admin_key, json!({})).await;
    erased.expect(200);
    assert_eq!(erased.body["contact_id"], ada.as_str());
    assert_eq!(erased.body["emails_hashed"], 2);
    assert_eq!(erased.body["activities_scrubbed"], 3);
    assert_eq!(erased.body["company_links_removed"], 1);
    assert!(erased.body["audit_entries_redacted"].as_u64().unwrap() >= 6, "{}", erased.body);
    assert_eq!(erased.body["mail_messages_redacted"], 1);
    let redacted = app.get(&format!("/v1/mail/messages/{mail}"), &app.admin_key).await;
    assert_eq!(redacted.expect(200).body["subject"], "[erased]");
    assert_eq!(redacted.body["to"], json!([]));

    // The person's data is nowhere in the database.
    for needle in ["ada@example.com", "countess@home.example", "lovelace", "442079460958", "ada-7712"] {
        for (table, column) in [
            ("contacts", "emails"),
            ("contacts", "email"),
            ("contacts", "last_name"),
            ("contacts", "sort_name"),
            ("contacts", "phones"),
            ("contacts", "external_ids"),
            ("contacts", "custom"),
            ("search_terms", "term"),
            ("search_terms", "title"),
            ("search_terms", "subtitle"),
            ("custom_field_values", "text_value"),
            ("contact_emails", "email"),
            ("external_ids", "external_id"),
            ("audit_log", "changes"),
            ("events", "data"),
            ("activities", "subject"),
            ("activities", "body"),
            ("activities", "attendees"),
            ("email_suppressions", "email"),
            ("idempotency_keys", "response_body"),
            ("mail_messages", "to_addresses"),
            ("mail_messages", "subject"),
            ("mail_messages", "text_body"),
        ] {
            assert_eq!(mentions(&app, table, column, needle), 0, "{needle} is still in {table}.{column}");
        }
    }
    let contact = app.get(&format!("/v1/contacts/{ada}"), &app.admin_key).await;
    contact.expect(200);
    assert_eq!(contact.body["last_name"], "Erased contact");
    assert!(contact.body["first_name"].is_null() && contact.body["job_title"].is_null());
    assert_eq!(contact.body["emails"], json!([]));
    assert_eq!(contact.body["tags"], json!([]));
    // Activities keep counting: the erased contact is still what they are about.
    let activities = app.get(&format!("/v1/activities?contact_id={ada}"), &app.admin_key).await;
    assert_eq!(activities.body["data"].as_array().unwrap().len(), 2);
    let shared = app.get(&format!("/v1/activities/{meeting}"), &app.admin_key).await;
    assert_eq!(shared.body["subject"], "Review with [erased] and Grace");
    assert_eq!(shared.body["body"], "Write to [erased] after");
    assert_eq!(shared.body["attendees"], json!(["Grace Hopper"]));
    let other = app.get(&format!("/v1/activities/{elsewhere}"), &app.admin_key).await;
    assert_eq!(other.body["body"], "Grace says cc [erased]");
    assert_eq!(app.get(&format!("/v1/contacts/{ada}/companies"), &app.admin_key).await.body["data"], json!([]));
    // Grace's own data is untouched.
    assert_eq!(app.get(&format!("/v1/contacts/{grace}"), &app.admin_key).await.body["last_name"], "Hopper");

    // The erasure is recorded without the erased data; the event carries only the id.
    let history = app.get(&format!("/v1/contacts/{ada}/history"), &app.admin_key).await;
    assert_eq!(history.body["data"][0]["action"], "erased");
    assert_eq!(history.body["data"][0]["changes"]["emails_hashed"]["after"], 2);
    assert_eq!(history.body["data"][1]["changes"]["job_title"], json!({"redacted": true}));
    assert_eq!(app.event_types().last().map(String::as_str), Some("contact.erased"));
    let feed = app.get("/v1/events?after=0&types=contact.erased", &app.admin_key).await;
    assert_eq!(feed.body["data"][0]["data"], json!({"object": {"id": ada}}));

    app.post(&path, &app.admin_key, json!({})).await.expect_problem(409, "already_erased");

    // The address cannot come back silently: create, upsert and batch are refused…
    assert!(is_suppressed(&app, "ada@example.com"));
    let again = app.post("/v1/contacts", &app.admin_key, json!({"emails": [{"address": "ADA@example.com"}]})).await;
    again.expect_problem(409, "erased_contact");
    put(&app, "/v1/external-ids/erp/1/contact", &app.admin_key, json!({"emails": [{"address": "ada@example.com"}]}))
        .await
        .expect_problem(409, "erased_contact");
    let batch = app
        .post(
            "/v1/contacts/batch",
            &app.admin_key,
            json!({"mode": "upsert", "match_on": "email", "inputs": [{"properties": {"emails": [{"address": "ada@example.com"}]}}]}),
        )
        .await;
    assert_eq!(batch.body["results"][0]["error"]["code"], "erased_contact");
    app.patch(&format!("/v1/contacts/{grace}"), &app.admin_key, json!({"emails": [{"address": "ada@example.com"}]}))
        .await
        .expect_problem(409, "erased_contact");
    // …and the replayed idempotent create does not bring her back either.
    let replay = app
        .send(
            app.client.post(app.url("/v1/contacts")).header("Idempotency-Key", "ada-1").json(&json!({
                "first_name": "Ada", "last_name": "Lovelace",
                "emails": [{"address": "Ada@Example.com"}, {"address": "countess@home.example"}],
                "phones": [{"number": "+44 20 7946 0958"}], "addresses": [{"city": "London"}],
                "job_title": "Analyst", "tags": ["vip"], "external_ids": {"shopify": "ADA-7712"}
            })),
            &app.admin_key,
        )
        .await;
    replay.expect_problem(409, "erased_contact");

    // …until an admin explicitly releases the address.
    let release = json!({"email": "Ada@example.com"});
    app.post("/v1/erased-emails/release", &app.sales_token, release.clone()).await.expect(403);
    app.post("/v1/erased-emails/release", &app.admin_key, json!({"email": "nope"})).await.expect(422);
    app.post("/v1/erased-emails/release", &app.admin_key, json!({"email": "never@example.com"})).await.expect(404);
    assert_eq!(app.post("/v1/erased-emails/release", &app.admin_key, release.clone()).await.status, 204);
    assert_eq!(mentions(&app, "audit_log", "changes", "ada@example.com"), 0);
    app.post("/v1/contacts", &app.admin_key, json!({"emails": [{"address": "ada@example.com"}]})).await.expect(201);
    app.post("/v1/erased-emails/release", &app.admin_key, release).await.expect(404);
    // The other address stays refused.
    app.post("/v1/contacts", &app.admin_key, json!({"emails": [{"address": "countess@home.example"}]}))
        .await
        .expect_problem(409, "erased_contact");
}

fn back_date(app: &TestApp, table: &str, id: &str, days: i64) {
    let when = crm_core::time::now() - chrono::Duration::days(days);
    let mut conn = app.conn();
    let sql = format!("UPDATE {table} SET deleted_at = $1 WHERE id = $2");
    let n = match &mut *conn {
        DbConnection::Postgres(c) => diesel::sql_query(sql)
            .bind::<diesel::sql_types::Timestamp, _>(when)
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)
            .unwrap(),
        DbConnection::Sqlite(c) => diesel::sql_query(sql.replace("$1", "?").replace("$2", "?"))
            .bind::<diesel::sql_types::Timestamp, _>(when)
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)
            .unwrap(),
    };
    assert_eq!(n, 1);
}

async fn privacy_trash_purge(app: TestApp) {
    let old = new_contact(
        &app,
        json!({"first_name": "Old", "emails": [{"address": "old@example.com"}], "tags": ["gone"], "external_ids": {"erp": "9"}}),
    )
    .await;
    let recent = new_contact(&app, json!({"first_name": "Recent"})).await;
    let keeper = new_contact(&app, json!({"first_name": "Keeper"})).await;
    let company = id_of(&app.post("/v1/companies", &app.admin_key, json!({"name": "Old Co", "tags": ["gone"]})).await);
    put(&app, &format!("/v1/contacts/{old}/companies/{company}"), &app.admin_key, json!({})).await.expect(200);
    put(&app, &format!("/v1/contacts/{keeper}/companies/{company}"), &app.admin_key, json!({})).await.expect(200);
    put(&app, &format!("/v1/contacts/{old}/consents/sms"), &app.admin_key, json!({"status": "granted"}))
        .await
        .expect(200);
    let activity = id_of(
        &app.post("/v1/activities", &app.admin_key, json!({"kind": "note", "body": "x", "contact_ids": [old, keeper]}))
            .await,
    );
    let kept_activity = id_of(
        &app.post("/v1/activities", &app.admin_key, json!({"kind": "note", "body": "y", "contact_ids": [old, keeper]}))
            .await,
    );
    for (path, _) in [
        (format!("/v1/contacts/{old}"), ()),
        (format!("/v1/contacts/{recent}"), ()),
        (format!("/v1/companies/{company}"), ()),
        (format!("/v1/activities/{activity}"), ()),
    ] {
        assert_eq!(delete(&app, &path, &app.admin_key).await.status, 204);
    }
    // A contact in the trash can be erased, and its erasure outlives the purge.
    let forgotten = new_contact(&app, json!({"emails": [{"address": "forget@example.com"}]})).await;
    assert_eq!(delete(&app, &format!("/v1/contacts/{forgotten}"), &app.admin_key).await.status, 204);
    app.post(&format!("/v1/contacts/{forgotten}/erase"), &app.admin_key, json!({})).await.expect(200);
    back_date(&app, "contacts", &forgotten, 40);
    back_date(&app, "contacts", &old, 31);
    back_date(&app, "companies", &company, 31);
    back_date(&app, "activities", &activity, 45);
    back_date(&app, "contacts", &recent, 29);

    let cutoff = crm_core::time::now()
        - chrono::Duration::days(
            crm_contacts::settings::ContactsSettings::of(&app.state.config).unwrap().trash_retention_days,
        );
    let purge = |org: &str| {
        let scope = crm_core::jobs::schedule::system_actor(org).scope();
        crm_contacts::privacy::purge::purge_trash(&app.state.db, &scope, cutoff).unwrap()
    };
    // Another organization's purge leaves this one's trash alone.
    use crm_core::schema::organizations;
    let other: String = organizations::table
        .filter(organizations::id.ne(&app.org_id))
        .select(organizations::id)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(purge(&other).total(), 0);
    let purged = purge(&app.org_id);
    assert_eq!((purged.contacts, purged.companies, purged.activities), (2, 1, 1));
    assert_eq!(purge(&app.org_id).total(), 0);

    use crm_core::schema::{
        activities, activity_links, companies, contact_companies, contacts, external_ids, record_tags,
    };
    let mut conn = app.conn();
    let gone = |n: i64| assert_eq!(n, 0);
    gone(contacts::table.filter(contacts::id.eq(&old)).count().get_result(&mut *conn).unwrap());
    gone(companies::table.filter(companies::id.eq(&company)).count().get_result(&mut *conn).unwrap());
    gone(activities::table.filter(activities::id.eq(&activity)).count().get_result(&mut *conn).unwrap());
    gone(record_tags::table.filter(record_tags::tag.eq("gone")).count().get_result(&mut *conn).unwrap());
    gone(external_ids::table.filter(external_ids::record_id.eq(&old)).count().get_result(&mut *conn).unwrap());
    gone(
        contact_companies::table
            .filter(contact_companies::company_id.eq(&company))
            .count()
            .get_result(&mut *conn)
            .unwrap(),
    );
    gone(activity_links::table.filter(activity_links::record_id.eq(&old)).count().get_result(&mut *conn).unwrap());
    drop(conn);
    assert_eq!(app.count("contact_consents"), 0);
    assert_eq!(app.count("contact_erasures"), 0);
    app.post("/v1/contacts", &app.admin_key, json!({"emails": [{"address": "forget@example.com"}]}))
        .await
        .expect_problem(409, "erased_contact");
    // What was trashed recently stays restorable; live records keep their other links.
    app.post(&format!("/v1/contacts/{recent}/restore"), &app.admin_key, json!({})).await.expect(200);
    app.post(&format!("/v1/contacts/{old}/restore"), &app.admin_key, json!({})).await.expect(404);
    let kept = app.get(&format!("/v1/activities/{kept_activity}"), &app.admin_key).await;
    assert_eq!(kept.body["contact_ids"], json!([keeper]));
    let types = app.event_types();
    for t in ["contact.purged", "company.purged", "activity.purged"] {
        assert!(types.contains(&t.to_string()), "{t} missing from {types:?}");
    }
}
