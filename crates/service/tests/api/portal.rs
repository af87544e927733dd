//! The customer portal, tested like the organization boundary: a customer's token sees their
//! own tickets and public replies, the published knowledge base, and nothing else (404).

use crm_test_support::smtp::SmtpServer;
use crm_test_support::{Backend, TestApp};
use serde_json::{Value, json};

use crate::comments::app_with;
use crate::{contact, events, id};

crm_test_support::both_backends!(customers_see_only_their_own_tickets, customers_sign_in_with_an_emailed_code);

async fn token_for(app: &TestApp, contact: &str) -> String {
    let minted = app.post("/v1/customer-tokens", &app.admin_key, json!({"contact_id": contact})).await;
    minted.expect(201);
    let token = minted.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("crm_ct_"));
    token
}

async fn customers_see_only_their_own_tickets(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    let bob = contact(&app, "Bob", "Babbage", "bob@example.com").await;
    app.post("/v1/customer-tokens", &app.read_only_token, json!({"contact_id": ada})).await.expect(403);
    app.post("/v1/customer-tokens", &app.other_org_key, json!({"contact_id": ada})).await.expect(422);
    app.post("/v1/customer-tokens", &app.admin_key, json!({"contact_id": ada, "expires_in_minutes": 1}))
        .await
        .expect(422);
    let ada_token = token_for(&app, &ada).await;
    let bob_token = token_for(&app, &bob).await;

    let me = app.get("/v1/portal/me", &ada_token).await;
    me.expect(200);
    assert_eq!(
        (me.body["contact_id"].as_str(), me.body["email"].as_str()),
        (Some(ada.as_str()), Some("ada@example.com"))
    );
    let opened = app
        .post(
            "/v1/portal/tickets",
            &ada_token,
            json!({"subject": "Cannot export", "description": "The button does nothing."}),
        )
        .await;
    opened.expect(201);
    let mine = id(&opened.body);
    assert_eq!((opened.body["channel"].as_str(), opened.body["status"].as_str()), (Some("web"), Some("new")));
    app.post("/v1/portal/tickets", &ada_token, json!({"subject": "", "description": "x"})).await.expect(422);
    let theirs = app.post("/v1/tickets", &app.sales_token, json!({"subject": "Bob's", "requester_id": bob})).await;
    let theirs = id(&theirs.body);
    let agent = app.get(&format!("/v1/tickets/{mine}"), &app.admin_key).await;
    assert_eq!(agent.body["requester_id"], ada.as_str());
    app.post(
        &format!("/v1/tickets/{mine}/comments"),
        &app.sales_token,
        json!({"body": "Looks like the PDF worker.", "visibility": "internal"}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/v1/tickets/{mine}/comments"),
        &app.sales_token,
        json!({"body": "Could you try again?", "status": "pending"}),
    )
    .await
    .expect(201);

    // Their own, and only their own.
    let listed = app.get("/v1/portal/tickets", &ada_token).await;
    listed.expect(200);
    assert_eq!(
        listed.body["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect::<Vec<_>>(),
        [mine.as_str()]
    );
    assert!(listed.body["data"][0].get("assignee_id").is_none(), "no internals");
    app.get(&format!("/v1/portal/tickets/{theirs}"), &ada_token).await.expect(404);
    app.get(&format!("/v1/portal/tickets/{mine}"), &bob_token).await.expect(404);
    app.get(&format!("/v1/portal/tickets/{theirs}/comments"), &ada_token).await.expect(404);
    app.post(&format!("/v1/portal/tickets/{theirs}/comments"), &ada_token, json!({"body": "Hi"})).await.expect(404);
    let conversation = app.get(&format!("/v1/portal/tickets/{mine}/comments"), &ada_token).await;
    conversation.expect(200);
    let bodies: Vec<&str> =
        conversation.body["data"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["Could you try again?"], "never an internal note");
    // Nothing else of the organization answers a customer.
    for path in [
        "/v1/contacts",
        "/v1/tickets",
        &format!("/v1/tickets/{mine}"),
        &format!("/v1/contacts/{ada}"),
        "/v1/kb-articles",
        "/v1/organization",
    ] {
        app.get(path, &ada_token).await.expect_problem(404, "not_found");
    }
    app.post("/v1/tickets", &ada_token, json!({"subject": "x"})).await.expect(404);
    app.get("/v1/portal/tickets", &app.admin_key).await.expect(401);
    app.get("/v1/portal/tickets", "crm_ct_nothing").await.expect(401);

    // Replying reopens a pending ticket; rating waits for it to be solved.
    let reply =
        app.post(&format!("/v1/portal/tickets/{mine}/comments"), &ada_token, json!({"body": "Still broken."})).await;
    reply.expect(201);
    assert_eq!(reply.body["from_customer"], true);
    let agent = app.get(&format!("/v1/tickets/{mine}"), &app.admin_key).await;
    assert_eq!(agent.body["status"], "open");
    let comments = app.get(&format!("/v1/tickets/{mine}/comments"), &app.admin_key).await;
    let last = comments.body["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["author_type"].as_str(), last["author_id"].as_str(), last["via"].as_str()),
        (Some("contact"), Some(ada.as_str()), Some("portal"))
    );
    app.put(&format!("/v1/portal/tickets/{mine}/rating"), &ada_token, json!({"score": 5})).await.expect(409);
    app.patch(&format!("/v1/tickets/{mine}"), &app.sales_token, json!({"status": "solved"})).await.expect(200);
    app.put(&format!("/v1/portal/tickets/{mine}/rating"), &ada_token, json!({"score": 6})).await.expect(422);
    app.put(&format!("/v1/portal/tickets/{mine}/rating"), &bob_token, json!({"score": 1})).await.expect(404);
    let rated = app
        .put(&format!("/v1/portal/tickets/{mine}/rating"), &ada_token, json!({"score": 4, "comment": "Quick."}))
        .await;
    rated.expect(200);
    app.put(&format!("/v1/portal/tickets/{mine}/rating"), &ada_token, json!({"score": 5})).await.expect(200);
    let shown = app.get(&format!("/v1/portal/tickets/{mine}"), &ada_token).await;
    assert_eq!(
        (shown.body["rating"]["score"].as_i64(), shown.body["rating"]["comment"].clone()),
        (Some(5), Value::Null)
    );
    let responses = events(&app, "survey.response_received").await;
    assert_eq!(
        responses,
        [
            ("survey.response_received".to_string(), mine.clone()),
            ("survey.response_received".to_string(), mine.clone())
        ]
    );

    // The published knowledge base, their organization's.
    app.post(
        "/v1/kb-articles",
        &app.admin_key,
        json!({"title": "Exporting invoices", "body": "Choose Export.", "status": "published"}),
    )
    .await
    .expect(201);
    app.post(
        "/v1/kb-articles",
        &app.admin_key,
        json!({"title": "Export internals", "body": "Draft.", "status": "draft"}),
    )
    .await
    .expect(201);
    let kb = app.get("/v1/portal/kb/articles?query=export", &ada_token).await;
    kb.expect(200);
    assert_eq!(
        kb.body["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect::<Vec<_>>(),
        ["Exporting invoices"]
    );

    // Revoked, the token is dead.
    app.delete(&format!("/v1/contacts/{ada}/customer-tokens"), &app.read_only_token).await.expect(403);
    app.delete(&format!("/v1/contacts/{ada}/customer-tokens"), &app.admin_key).await.expect(204);
    app.get("/v1/portal/tickets", &ada_token).await.expect(401);
    app.get("/v1/portal/tickets", &bob_token).await.expect(200);
}

async fn customers_sign_in_with_an_emailed_code(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    app.post("/v1/public/portal/acme-help/sign-in", "", json!({"email": "ada@example.com"})).await.expect(404);
    app.put("/v1/knowledge-base/site", &app.admin_key, json!({"slug": "acme-help", "name": "Acme Help"}))
        .await
        .expect(200);
    app.put("/v1/knowledge-base/site", &app.other_org_key, json!({"slug": "globex-help", "name": "Globex Help"}))
        .await
        .expect(200);
    app.post("/v1/public/portal/acme-help/sign-in", "", json!({"email": "nobody@example.com"})).await.expect(202);
    app.post("/v1/public/portal/acme-help/sign-in", "", json!({"email": "not an address"})).await.expect(422);
    app.post("/v1/public/portal/acme-help/sign-in", "", json!({"email": "Ada@Example.com"})).await.expect(202);
    let delivered = smtp.wait_for(1).await;
    assert_eq!(delivered.len(), 1, "only the customer got a code");
    let mail = delivered[0].read();
    assert_eq!(delivered[0].to, ["ada@example.com"]);
    assert_eq!(mail.subject, "Your sign-in code for Acme Help");
    let code = mail.text.split_whitespace().find(|w| w.starts_with("crm_ct_")).unwrap().to_string();
    app.get("/v1/portal/me", &code).await.expect(401);
    app.post("/v1/public/portal/globex-help/sessions", "", json!({"code": code})).await.expect(401);
    let session = app.post("/v1/public/portal/acme-help/sessions", "", json!({"code": code})).await;
    session.expect(201);
    assert_eq!(session.body["contact_id"], ada.as_str());
    let token = session.body["token"].as_str().unwrap().to_string();
    app.get("/v1/portal/me", &token).await.expect(200);
    app.post("/v1/public/portal/acme-help/sessions", "", json!({"code": code})).await.expect(401);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.delivered().len(), 1, "no mail to an unknown address");
}
