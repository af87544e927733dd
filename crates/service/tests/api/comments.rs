//! Comments: an agent's public reply goes out by e-mail to the requester through a real SMTP
//! server, threaded under the ticket's earlier messages; internal notes stay inside; replies
//! move the ticket along; concurrent comments all land.

use crm_test_support::smtp::SmtpServer;
use crm_test_support::{Backend, TestApp};
use serde_json::json;

use crate::{contact, events, id, ticket};

crm_test_support::both_backends!(public_replies_are_mailed_threaded_and_notes_are_not, concurrent_comments_all_land);

pub async fn app_with(backend: Backend, smtp: &SmtpServer) -> TestApp {
    let settings = [("CRM_MAIL_FROM", "Acme support <support@acme.example>"), ("CRM_SMTP_URL", smtp.url.as_str())];
    TestApp::spawn_with(backend, &settings).await
}

async fn public_replies_are_mailed_threaded_and_notes_are_not(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    let t = ticket(&app, "Cannot export invoices to PDF", Some(&ada)).await;
    let url = format!("/v1/tickets/{}", id(&t));

    let reply =
        app.post(&format!("{url}/comments"), &app.sales_token, json!({"body": "Hello Ada,\n\nwe are on it.\n"})).await;
    reply.expect(201);
    let comment = &reply.body["comment"];
    assert_eq!(reply.header("location"), Some(format!("{url}/comments/{}", id(comment)).as_str()));
    assert_eq!(
        (comment["visibility"].as_str(), comment["author_type"].as_str(), comment["via"].as_str()),
        (Some("public"), Some("user"), Some("api"))
    );
    assert_eq!(comment["author_id"], app.sales_id.as_str());
    assert_eq!(reply.body["ticket"]["status"], "open", "a new ticket answered in public is open");
    assert!(reply.body["ticket"]["first_responded_at"].is_string());
    let first_mail = comment["mail_message_id"].as_str().unwrap().to_string();

    let note = app
        .post(
            &format!("{url}/comments"),
            &app.sales_token,
            json!({"body": "Looks like the PDF worker.", "visibility": "internal"}),
        )
        .await;
    note.expect(201);
    assert_eq!(note.body["comment"]["mail_message_id"], serde_json::Value::Null);
    assert_eq!(note.body["ticket"]["version"], reply.body["ticket"]["version"], "a note leaves the ticket as it is");

    let pending = app
        .post(
            &format!("{url}/comments"),
            &app.sales_token,
            json!({"body": "Could you try again?", "status": "pending"}),
        )
        .await;
    pending.expect(201);
    assert_eq!(pending.body["ticket"]["status"], "pending");
    assert_eq!(
        pending.body["ticket"]["first_responded_at"], reply.body["ticket"]["first_responded_at"],
        "the first response stays the first"
    );

    let delivered = smtp.wait_for(2).await;
    assert_eq!(delivered.len(), 2, "the note was not mailed");
    // Two jobs may send in either order: the thread's first names no earlier message.
    let mut read: Vec<_> = delivered.iter().map(|d| d.read()).collect();
    read.sort_by_key(|m| !m.in_reply_to.is_empty());
    let (first, second) = (read[0].clone(), read[1].clone());
    assert!(delivered.iter().all(|d| d.to == ["ada@example.com"]));
    assert_eq!(first.subject, format!("[#{}] Cannot export invoices to PDF", t["number"]));
    assert_eq!(first.text.trim_end(), "Hello Ada,\n\nwe are on it.");
    assert!(first.in_reply_to.is_empty() && first.references.is_empty(), "the first message starts the thread");
    let first_id = first.message_id.clone().unwrap();
    assert_eq!(second.subject, format!("Re: [#{}] Cannot export invoices to PDF", t["number"]));
    assert_eq!(second.in_reply_to, [first_id.as_str()]);
    assert_eq!(second.references, [first_id.as_str()]);
    let sent = app.get(&format!("/v1/mail/messages/{first_mail}"), &app.admin_key).await;
    assert_eq!(
        (sent.body["message_id"].as_str(), sent.body["record_id"].as_str()),
        (Some(first_id.as_str()), Some(id(&t).as_str()))
    );

    // Solved, then a reply: reopened. Saying `solved` keeps it solved.
    app.patch(&url, &app.sales_token, json!({"status": "solved"})).await.expect(200);
    let kept = app
        .post(&format!("{url}/comments"), &app.sales_token, json!({"body": "Glad it works.", "status": "solved"}))
        .await;
    assert_eq!(kept.body["ticket"]["status"], "solved");
    let again = app.post(&format!("{url}/comments"), &app.sales_token, json!({"body": "One more thing."})).await;
    again.expect(201);
    assert_eq!(
        (again.body["ticket"]["status"].as_str(), again.body["ticket"]["reopened_count"].as_i64()),
        (Some("open"), Some(1))
    );

    let listed = app.get(&format!("{url}/comments"), &app.read_only_token).await;
    listed.expect(200);
    let bodies: Vec<&str> =
        listed.body["data"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(
        bodies,
        [
            "Hello Ada,\n\nwe are on it.\n",
            "Looks like the PDF worker.",
            "Could you try again?",
            "Glad it works.",
            "One more thing."
        ]
    );
    let page = app.get(&format!("{url}/comments?limit=2&sort=-created_at"), &app.admin_key).await;
    assert_eq!(page.body["data"][0]["body"], "One more thing.");
    assert!(page.body["next_cursor"].is_string());

    // Bad input, roles and other organizations change nothing.
    let before = app.count("ticket_comments");
    app.post(&format!("{url}/comments"), &app.sales_token, json!({"body": ""})).await.expect(422);
    app.post(&format!("{url}/comments"), &app.sales_token, json!({"body": "  \n "})).await.expect(422);
    app.post(&format!("{url}/comments"), &app.sales_token, json!({"body": "x", "visibility": "secret"}))
        .await
        .expect_problem(422, "validation_failed");
    app.post(&format!("{url}/comments"), &app.sales_token, json!({"body": "x", "status": "new"})).await.expect(422);
    app.post(&format!("{url}/comments"), &app.read_only_token, json!({"body": "x"})).await.expect(403);
    app.post(&format!("{url}/comments"), &app.other_org_key, json!({"body": "x"})).await.expect(404);
    app.get(&format!("{url}/comments"), &app.other_org_key).await.expect(404);
    app.get(&format!("{url}/comments/{}", id(comment)), &app.other_org_key).await.expect(404);
    app.post("/v1/tickets/tkt_nope/comments", &app.sales_token, json!({"body": "x"})).await.expect(404);
    assert_eq!(app.count("ticket_comments"), before);
    assert_eq!(smtp.wait_for(4).await.len(), 4, "the two agent replies after solving were mailed too");

    let added = events(&app, "ticket.comment_added").await;
    assert_eq!(added.len(), 5);
    assert_eq!(added[0].1, id(comment), "the event's object is the comment");
}

async fn concurrent_comments_all_land(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let ada = contact(&app, "Ada", "Lovelace", "ada@example.com").await;
    let t = ticket(&app, "Cannot export invoices to PDF", Some(&ada)).await;
    let url = format!("/v1/tickets/{}/comments", id(&t));
    let replies = futures_util::future::join_all((0..10).map(|i| {
        let (app, url) = (&app, &url);
        async move { app.post(url, &app.sales_token, json!({"body": format!("Reply {i}")})).await }
    }))
    .await;
    for reply in &replies {
        reply.expect(201);
    }
    assert_eq!(app.count("ticket_comments"), 10);
    assert_eq!(events(&app, "ticket.comment_added").await.len(), 10);
    let statuses = events(&app, "ticket.status_changed").await;
    assert_eq!(statuses.len(), 1, "only the first reply opened the ticket");
    let delivered = smtp.wait_for(10).await;
    assert_eq!(delivered.len(), 10);
    let threaded = delivered.iter().filter(|d| !d.read().in_reply_to.is_empty()).count();
    assert!(threaded >= 9, "every reply but the first answers an earlier one: {threaded}");
}
