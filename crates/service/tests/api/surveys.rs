//! Surveys through HTTP and a real SMTP server: CSAT e-mailed when a ticket is solved, NPS sent
//! to contacts, each answered once by its signed link without a login, and their scores.

use crm_test_support::Backend;
use crm_test_support::smtp::SmtpServer;
use serde_json::json;

use crate::comments::app_with;
use crate::{contact, events, id, ticket};

crm_test_support::both_backends!(
    csat_goes_out_when_a_ticket_is_solved_and_is_answered_once,
    nps_goes_to_contacts_and_is_scored
);

/// The token in the link of an invitation's text.
fn token_in(text: &str) -> String {
    let start =
        text.find("token=").map(|i| i + 6).or_else(|| text.find("/v1/public/surveys/").map(|i| i + 19)).unwrap();
    text[start..].split(|c: char| c.is_whitespace() || c == '/').next().unwrap().to_string()
}

async fn csat_goes_out_when_a_ticket_is_solved_and_is_answered_once(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    let t = ticket(&app, "Cannot export invoices to PDF", Some(&ada)).await;
    let url = format!("/v1/tickets/{}", id(&t));
    // No active CSAT survey yet: solving sends nothing.
    app.patch(&url, &app.sales_token, json!({"status": "solved"})).await.expect(200);
    app.patch(&url, &app.sales_token, json!({"status": "open"})).await.expect(200);
    let survey = json!({"kind": "csat", "name": "Support satisfaction", "response_url": "https://help.acme.example/rate?token={token}"});
    app.post("/v1/surveys", &app.sales_token, survey.clone()).await.expect(403);
    app.post("/v1/surveys", &app.admin_key, json!({"kind": "csat", "name": "X", "response_url": "ftp://nope"}))
        .await
        .expect(422);
    let created = app.post("/v1/surveys", &app.admin_key, survey).await;
    created.expect(201);
    assert_eq!(created.body["question"], "How would you rate the support you received?");
    let survey_id = id(&created.body);

    app.patch(&url, &app.sales_token, json!({"status": "solved"})).await.expect(200);
    let delivered = smtp.wait_for(1).await;
    assert_eq!(delivered.len(), 1, "solved: the requester is asked");
    let mail = delivered[0].read();
    assert_eq!(delivered[0].to, ["ada@example.com"]);
    assert_eq!(mail.subject, format!("How did we do? [#{}] Cannot export invoices to PDF", t["number"]));
    assert!(mail.text.contains("https://help.acme.example/rate?token="), "{}", mail.text);
    let token = token_in(&mail.text);

    let asked = app.get(&format!("/v1/public/surveys/{token}"), "").await;
    asked.expect(200);
    assert_eq!((asked.body["min"].as_i64(), asked.body["max"].as_i64()), (Some(1), Some(5)));
    assert_eq!(
        (asked.body["ticket_subject"].as_str(), asked.body["answered"].as_bool()),
        (Some("Cannot export invoices to PDF"), Some(false))
    );
    let forged = token.replace(&token[token.len() - 4..], "0000");
    app.get(&format!("/v1/public/surveys/{forged}"), "").await.expect(404);
    app.post(&format!("/v1/public/surveys/{forged}/responses"), "", json!({"score": 5})).await.expect(404);
    app.post(&format!("/v1/public/surveys/{token}/responses"), "", json!({"score": 7})).await.expect(422);
    let answered =
        app.post(&format!("/v1/public/surveys/{token}/responses"), "", json!({"score": 4, "comment": "Quick."})).await;
    answered.expect(201);
    assert_eq!(
        (answered.body["kind"].as_str(), answered.body["ticket_id"].as_str()),
        (Some("csat"), Some(id(&t).as_str()))
    );
    app.post(&format!("/v1/public/surveys/{token}/responses"), "", json!({"score": 1}))
        .await
        .expect_problem(409, "invitation_closed");
    assert_eq!(events(&app, "survey.response_received").await.len(), 1);

    // Reopened and solved again: asked once per ticket.
    app.patch(&url, &app.sales_token, json!({"status": "open"})).await.expect(200);
    app.patch(&url, &app.sales_token, json!({"status": "solved"})).await.expect(200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.delivered().len(), 1);

    let results = app.get(&format!("/v1/surveys/{survey_id}/results"), &app.read_only_token).await;
    results.expect(200);
    assert_eq!(
        (results.body["responses"].as_i64(), results.body["average"].as_f64(), results.body["csat"].as_f64()),
        (Some(1), Some(4.0), Some(100.0))
    );
    app.get(&format!("/v1/surveys/{survey_id}/results"), &app.other_org_key).await.expect(404);
}

async fn nps_goes_to_contacts_and_is_scored(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let mut ids = Vec::new();
    for (first, email) in [("Ada", "ada@example.com"), ("Bob", "bob@example.com"), ("Cy", "cy@example.com")] {
        ids.push(contact(&app, first, "Customer", email).await);
    }
    let no_address =
        app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Dee", "last_name": "Customer"})).await;
    no_address.expect(201);
    let created = app.post("/v1/surveys", &app.admin_key, json!({"kind": "nps", "name": "Q4 NPS"})).await;
    created.expect(201);
    let survey = id(&created.body);
    let send = format!("/v1/surveys/{survey}/send");
    app.post(&send, &app.sales_token, json!({"contact_ids": ids})).await.expect(403);
    app.post(&send, &app.admin_key, json!({"contact_ids": ["con_nope"]})).await.expect(422);
    app.post(&send, &app.admin_key, json!({})).await.expect(422);
    app.post(&send, &app.other_org_key, json!({"contact_ids": ids})).await.expect(404);
    let sent = app
        .post(&send, &app.admin_key, json!({"filter": {"field": "last_name", "op": "eq", "value": "Customer"}}))
        .await;
    sent.expect(200);
    assert_eq!((sent.body["invited"].as_i64(), sent.body["skipped"].as_i64()), (Some(3), Some(1)));
    let delivered = smtp.wait_for(3).await;
    assert_eq!(delivered.len(), 3);
    for (mail, score) in delivered.iter().zip([10, 9, 3]) {
        let token = token_in(&mail.read().text);
        let asked = app.get(&format!("/v1/public/surveys/{token}"), "").await;
        assert_eq!((asked.body["min"].as_i64(), asked.body["max"].as_i64()), (Some(0), Some(10)));
        app.post(&format!("/v1/public/surveys/{token}/responses"), "", json!({"score": 11})).await.expect(422);
        app.post(&format!("/v1/public/surveys/{token}/responses"), "", json!({"score": score})).await.expect(201);
    }
    let results = app.get(&format!("/v1/surveys/{survey}/results"), &app.admin_key).await;
    results.expect(200);
    let r = &results.body;
    assert_eq!(
        (r["responses"].as_i64(), r["promoters"].as_i64(), r["passives"].as_i64(), r["detractors"].as_i64()),
        (Some(3), Some(2), Some(0), Some(1))
    );
    assert_eq!(r["nps"], 33.3);
    let csat = app.post("/v1/surveys", &app.admin_key, json!({"kind": "csat", "name": "CSAT", "active": false})).await;
    app.post(&format!("/v1/surveys/{}/send", id(&csat.body)), &app.admin_key, json!({"contact_ids": ids}))
        .await
        .expect(409);
}
