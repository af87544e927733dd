//! E-mail to ticket through HTTP with real multipart messages: a new message opens a ticket
//! for its sender, replies thread onto it (by Message-ID or `[#<number>]`), attachments are
//! stored, automated mail is ignored, and a message delivered twice is filed once.

use crm_test_support::smtp::SmtpServer;
use crm_test_support::{Backend, TestApp};
use serde_json::{Value, json};

use crate::comments::app_with;
use crate::{events, id};

crm_test_support::both_backends!(
    an_email_opens_a_ticket_and_replies_thread_onto_it,
    automated_and_bad_mail_opens_nothing,
    a_message_delivered_twice_is_filed_once,
    erasing_the_requester_scrubs_their_tickets,
);

/// `AAEC/w==` is these bytes.
const ATTACHMENT: &[u8] = &[0, 1, 2, 255];

fn first_message() -> String {
    "From: Ada Lovelace <Ada@Example.com>\r\n\
     To: Acme support <support@acme.example>\r\n\
     Subject: Cannot export invoices to PDF\r\n\
     Message-ID: <CAF1first@mail.example.com>\r\n\
     Date: Mon, 7 Dec 2026 09:00:00 +0000\r\n\
     MIME-Version: 1.0\r\n\
     Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
     \r\n\
     --b1\r\n\
     Content-Type: text/plain; charset=utf-8\r\n\
     \r\n\
     Since this morning the export button does nothing.\r\n\
     --b1\r\n\
     Content-Type: image/png\r\n\
     Content-Disposition: attachment; filename=\"screenshot.png\"\r\n\
     Content-Transfer-Encoding: base64\r\n\
     \r\n\
     AAEC/w==\r\n\
     --b1--\r\n"
        .to_string()
}

fn reply(message_id: &str, in_reply_to: &str, subject: &str, text: &str) -> String {
    format!(
        "From: Ada Lovelace <ada@example.com>\r\nTo: support@acme.example\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\n{}Content-Type: text/plain; charset=utf-8\r\n\r\n{text}",
        if in_reply_to.is_empty() {
            String::new()
        } else {
            format!("In-Reply-To: <{in_reply_to}>\r\nReferences: <{in_reply_to}>\r\n")
        }
    )
}

async fn post_mail(app: &TestApp, token: &str, raw: &str) -> crm_test_support::Reply {
    let request = app
        .client
        .post(app.url("/v1/service/inbound-email"))
        .header("content-type", "message/rfc822")
        .body(raw.to_string());
    app.send(request, token).await
}

async fn comments_of(app: &TestApp, ticket: &str) -> Vec<Value> {
    let listed = app.get(&format!("/v1/tickets/{ticket}/comments"), &app.admin_key).await;
    listed.expect(200);
    listed.body["data"].as_array().unwrap().clone()
}

async fn an_email_opens_a_ticket_and_replies_thread_onto_it(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let filed = post_mail(&app, &app.admin_key, &first_message()).await;
    filed.expect(200);
    assert_eq!(
        (filed.body["outcome"].as_str(), filed.body["contact_created"].as_bool()),
        (Some("ticket_created"), Some(true))
    );
    let ticket_id = filed.body["ticket_id"].as_str().unwrap().to_string();
    let contact_id = filed.body["contact_id"].as_str().unwrap().to_string();
    let contact = app.get(&format!("/v1/contacts/{contact_id}"), &app.admin_key).await;
    assert_eq!(
        (contact.body["first_name"].as_str(), contact.body["last_name"].as_str()),
        (Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(contact.body["email"], "ada@example.com");
    let ticket = app.get(&format!("/v1/tickets/{ticket_id}"), &app.admin_key).await;
    assert_eq!(ticket.body["subject"], "Cannot export invoices to PDF");
    assert_eq!((ticket.body["channel"].as_str(), ticket.body["status"].as_str()), (Some("email"), Some("new")));
    assert_eq!(ticket.body["requester_id"], contact_id.as_str());
    assert_eq!(ticket.body["description"], "Since this morning the export button does nothing.");
    let number = ticket.body["number"].as_i64().unwrap();

    let comments = comments_of(&app, &ticket_id).await;
    assert_eq!(comments.len(), 1);
    assert_eq!((comments[0]["author_type"].as_str(), comments[0]["via"].as_str()), (Some("contact"), Some("email")));
    let attachment = &comments[0]["attachments"][0];
    assert_eq!(attachment["filename"], "screenshot.png");
    assert_eq!((attachment["content_type"].as_str(), attachment["size"].as_i64()), (Some("image/png"), Some(4)));
    let download = format!(
        "/v1/tickets/{ticket_id}/comments/{}/attachments/{}",
        id(&comments[0]),
        attachment["file_id"].as_str().unwrap()
    );
    let file = app.client.get(app.url(&download)).bearer_auth(&app.admin_key).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.bytes().await.unwrap().as_ref(), ATTACHMENT);
    app.get(&download, &app.other_org_key).await.expect(404);

    // The agent's answer threads under Ada's message; her reply to it threads onto the ticket.
    let answer = app
        .post(
            &format!("/v1/tickets/{ticket_id}/comments"),
            &app.sales_token,
            json!({"body": "Could you try again?", "status": "pending"}),
        )
        .await;
    answer.expect(201);
    let out = smtp.wait_for(1).await[0].read();
    assert_eq!(out.in_reply_to, ["CAF1first@mail.example.com"]);
    assert_eq!(out.subject, format!("Re: [#{number}] Cannot export invoices to PDF"));
    let answer_id = out.message_id.unwrap();
    let text = "Still broken, sorry.\r\n\r\nOn Mon, 7 Dec 2026 at 09:20, Acme support <support@acme.example> wrote:\r\n> Could you try again?\r\n";
    let replied =
        post_mail(&app, &app.admin_key, &reply("CAF1second@mail.example.com", &answer_id, "Re: your ticket", text))
            .await;
    replied.expect(200);
    assert_eq!(
        (replied.body["outcome"].as_str(), replied.body["ticket_id"].as_str()),
        (Some("comment_added"), Some(ticket_id.as_str()))
    );
    assert_eq!(replied.body["contact_created"], false);
    let comments = comments_of(&app, &ticket_id).await;
    assert_eq!(comments.last().unwrap()["body"], "Still broken, sorry.\n", "the quoted history is cut");
    let ticket = app.get(&format!("/v1/tickets/{ticket_id}"), &app.admin_key).await;
    assert_eq!(ticket.body["status"], "open", "the requester's reply reopens a pending ticket");

    // Solved, then a reply naming the ticket only by its number in the subject: reopened.
    app.patch(&format!("/v1/tickets/{ticket_id}"), &app.sales_token, json!({"status": "solved"})).await.expect(200);
    let by_token =
        reply("CAF1third@mail.example.com", "", &format!("Re: [#{number}] Cannot export"), "It broke again.\r\n");
    let reopened = post_mail(&app, &app.admin_key, &by_token).await;
    assert_eq!(reopened.body["ticket_id"], ticket_id.as_str(), "{}", reopened.text);
    let ticket = app.get(&format!("/v1/tickets/{ticket_id}"), &app.admin_key).await;
    assert_eq!((ticket.body["status"].as_str(), ticket.body["reopened_count"].as_i64()), (Some("open"), Some(1)));

    // The number alone from someone else, or a reply to a closed ticket, opens a new ticket.
    let stranger = by_token.replace("ada@example.com", "mallory@example.net").replace("CAF1third", "CAF1fourth");
    let theirs = post_mail(&app, &app.admin_key, &stranger).await;
    assert_eq!(theirs.body["outcome"], "ticket_created", "{}", theirs.text);
    app.patch(&format!("/v1/tickets/{ticket_id}"), &app.sales_token, json!({"status": "solved"})).await.expect(200);
    app.patch(&format!("/v1/tickets/{ticket_id}"), &app.sales_token, json!({"status": "closed"})).await.expect(200);
    let late =
        post_mail(&app, &app.admin_key, &reply("CAF1fifth@mail.example.com", &answer_id, "Re: again", "Hello?\r\n"))
            .await;
    assert_eq!(late.body["outcome"], "ticket_created");
    assert_ne!(late.body["ticket_id"], ticket_id.as_str());

    // Another organization's credentials file into that organization, never this one's.
    let before = app.count("ticket_comments");
    let elsewhere = post_mail(
        &app,
        &app.other_org_key,
        &reply("CAF1sixth@mail.example.com", "CAF1first@mail.example.com", "Re: x", "Hi\r\n"),
    )
    .await;
    elsewhere.expect(200);
    assert_eq!(elsewhere.body["outcome"], "ticket_created", "their organization knows no such thread");
    app.get(&format!("/v1/tickets/{}", elsewhere.body["ticket_id"].as_str().unwrap()), &app.admin_key)
        .await
        .expect(404);
    assert_eq!(app.count("ticket_comments"), before + 1);
    post_mail(&app, &app.read_only_token, &first_message().replace("CAF1first", "CAF1seventh")).await.expect(403);

    let created: Vec<String> = events(&app, "ticket.created").await.into_iter().map(|(_, id)| id).collect();
    assert_eq!(created.len(), 3, "this organization's: the first, the stranger's and the late one");
}

async fn automated_and_bad_mail_opens_nothing(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let auto_reply = reply("auto1@mail.example.com", "", "Out of office", "I am away.\r\n")
        .replace("Subject:", "Auto-Submitted: auto-replied\r\nSubject:");
    let bulk = reply("bulk1@mail.example.com", "", "Newsletter", "News.\r\n")
        .replace("Subject:", "Precedence: bulk\r\nSubject:");
    let bounce = "From: MAILER-DAEMON@mx.example.com\r\nTo: support@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
                  Message-ID: <bounce1@mx.example.com>\r\nMIME-Version: 1.0\r\n\
                  Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
                  --r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
                  --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
                  Final-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--r--\r\n";
    let own = reply("own1@acme.example", "", "Re: [#1] x", "Loop?\r\n")
        .replace("Ada Lovelace <ada@example.com>", "Acme support <Support@Acme.example>");
    for (raw, reason) in
        [(auto_reply, "auto_reply"), (bulk, "bulk"), (bounce.to_string(), "bounce"), (own, "own_message")]
    {
        let filed = post_mail(&app, &app.admin_key, &raw).await;
        filed.expect(200);
        assert_eq!(
            (filed.body["outcome"].as_str(), filed.body["reason"].as_str()),
            (Some("ignored"), Some(reason)),
            "{raw}"
        );
    }
    let before = (app.count("contacts"), app.count("mail_messages"));
    post_mail(&app, &app.admin_key, "").await.expect(400);
    post_mail(&app, &app.admin_key, "this is not an e-mail").await.expect(400);
    post_mail(&app, &app.admin_key, "Subject: nobody sent this\r\n\r\nHi\r\n").await.expect(400);
    assert_eq!((app.count("tickets"), app.count("ticket_comments")), (0, 0));
    assert_eq!((app.count("contacts"), app.count("mail_messages")), before);
    assert!(smtp.delivered().is_empty(), "nothing answered automated mail");
}

async fn a_message_delivered_twice_is_filed_once(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let raw = first_message();
    let replies = futures_util::future::join_all((0..6).map(|_| post_mail(&app, &app.admin_key, &raw))).await;
    let outcomes: Vec<&str> = replies.iter().filter_map(|r| r.body["outcome"].as_str()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "ticket_created").count(), 1, "{outcomes:?}");
    for reply in &replies {
        assert!(reply.status == 200 || reply.status == 409, "{}", reply.text);
    }
    let again = post_mail(&app, &app.admin_key, &raw).await;
    assert_eq!(again.body["outcome"], "duplicate");
    assert_eq!((app.count("tickets"), app.count("ticket_comments"), app.count("contacts")), (1, 1, 1));
    assert_eq!(app.count("files"), 1, "the attachment was stored once");
}

/// Erasing a contact reaches the tickets they asked: their words and files go, the agents'
/// notes lose their name, the rest of the ticket stays for the reports.
async fn erasing_the_requester_scrubs_their_tickets(backend: Backend) {
    let smtp = SmtpServer::start();
    let app = app_with(backend, &smtp).await;
    let filed = post_mail(&app, &app.admin_key, &first_message()).await;
    filed.expect(200);
    let (ticket_id, contact_id) =
        (filed.body["ticket_id"].as_str().unwrap().to_string(), filed.body["contact_id"].as_str().unwrap().to_string());
    let note = json!({"body": "Called Ada Lovelace back on ada@example.com.", "visibility": "internal"});
    app.post(&format!("/v1/tickets/{ticket_id}/comments"), &app.admin_key, note).await.expect(201);
    let unrelated = app
        .post(
            &format!("/v1/tickets/{ticket_id}/comments"),
            &app.admin_key,
            json!({"body": "Escalated.", "visibility": "internal"}),
        )
        .await;
    unrelated.expect(201);
    let file_id = comments_of(&app, &ticket_id).await[0]["attachments"][0]["file_id"].as_str().unwrap().to_string();
    let before = app.get(&format!("/v1/tickets/{ticket_id}"), &app.admin_key).await.body["version"].as_i64();

    let erased = app.post(&format!("/v1/contacts/{contact_id}/erase"), &app.admin_key, json!({})).await;
    erased.expect(200);
    assert_eq!(erased.body["records_scrubbed"], json!({"ticket": 1, "ticket_comment": 2}), "{}", erased.text);

    let ticket = app.get(&format!("/v1/tickets/{ticket_id}"), &app.admin_key).await;
    assert_eq!(
        (ticket.body["subject"].as_str(), ticket.body["description"].as_str()),
        (Some("Cannot export invoices to PDF"), Some("[erased]"))
    );
    assert_eq!(ticket.body["version"].as_i64(), before.map(|v| v + 1), "a version more: {}", ticket.text);
    let comments = comments_of(&app, &ticket_id).await;
    let bodies: Vec<&str> = comments.iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["[erased]", "Called [erased] back on [erased].", "Escalated."]);
    assert_eq!(comments[0]["attachments"], json!([]));
    assert_eq!(app.count("files"), 0, "their attachment is deleted");
    let download = format!("/v1/tickets/{ticket_id}/comments/{}/attachments/{file_id}", id(&comments[0]));
    app.get(&download, &app.admin_key).await.expect(404);
    let history = app.get(&format!("/v1/tickets/{ticket_id}/history"), &app.admin_key).await;
    history.expect(200);
    assert!(!history.text.contains("Since this morning"), "the audit log keeps none of it: {}", history.text);
}
