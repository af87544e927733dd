//! Delivery to a real receiver: signatures (checked by the Standard Webhooks reference library
//! when `CRM_TEST_PYTHON` names a Python that has it, as `make test` does), retries with the same
//! `webhook-id`, order per record, failure and recovery, 410, rotation, test events, rate limits.

use std::time::Duration;

use crm_core::signature::SigningKey;
use crm_test_support::receiver::{Received, Receiver};
use crm_test_support::{Backend, TestApp};
use serde_json::{Value, json};

use crate::both_fast;

both_fast!(
    events_are_delivered_signed_as_the_feed_shows_them,
    retries_keep_the_id_and_later_events_of_a_record_wait,
    a_delivery_that_exhausts_its_schedule_fails_and_recover_sends_it_again,
    gone_disables_the_endpoint_with_an_event,
    a_rotated_secret_signs_beside_the_old_one_during_the_overlap,
    test_events_and_single_retries_reach_the_endpoint_alone,
    retry_after_is_honoured_and_the_rate_limit_spreads_deliveries,
);

const WITHIN: Duration = Duration::from_secs(20);

async fn endpoint(app: &TestApp, receiver: &Receiver, extra: Value) -> (String, String) {
    let mut body = json!({"url": receiver.url, "event_types": ["contact.*"]});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let created = app.post("/v1/webhook-endpoints", &app.admin_key, body).await;
    created.expect(201);
    (created.body["id"].as_str().unwrap().to_string(), created.body["secret"].as_str().unwrap().to_string())
}

async fn contact(app: &TestApp, name: &str) -> String {
    let created = app.post("/v1/contacts", &app.admin_key, json!({"first_name": name, "last_name": "Hook"})).await;
    created.expect(201);
    created.body["id"].as_str().unwrap().to_string()
}

fn verifies(secret: &str, r: &Received) -> bool {
    let key = SigningKey::parse(secret).unwrap();
    key.verifies(&r.id, r.timestamp.parse().unwrap(), &r.body, &r.signature)
}

/// Verifies the requests with the `standardwebhooks` package from PyPI, when there is a Python
/// with it (`make test` sets `CRM_TEST_PYTHON` to the tools' virtualenv).
fn verified_by_reference_library(secret: &str, received: &[Received]) {
    let Ok(python) = std::env::var("CRM_TEST_PYTHON") else {
        eprintln!("CRM_TEST_PYTHON is not set: the reference library's check is skipped");
        return;
    };
    let messages: Vec<Value> = received
        .iter()
        .map(|r| {
            json!({"body": String::from_utf8(r.body.clone()).unwrap(), "headers": {
                "webhook-id": r.id, "webhook-timestamp": r.timestamp, "webhook-signature": r.signature}})
        })
        .collect();
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
given = json.load(sys.stdin)
hook = Webhook(given["secret"])
for m in given["messages"]:
    hook.verify(m["body"], m["headers"])
print(len(given["messages"]))
"#;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({"secret": secret, "messages": messages}).to_string();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "standardwebhooks refused: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), received.len().to_string());
}

async fn deliveries(app: &TestApp, endpoint_id: &str, query: &str) -> Vec<Value> {
    let page = app.get(&format!("/v1/webhook-endpoints/{endpoint_id}/deliveries?{query}"), &app.admin_key).await;
    page.expect(200);
    page.body["data"].as_array().unwrap().clone()
}

/// The endpoint's deliveries matching `query` once there are at least `count` (their outcomes
/// are recorded a moment after the receiver answers).
async fn deliveries_once(app: &TestApp, endpoint_id: &str, query: &str, count: usize) -> Vec<Value> {
    for _ in 0..400 {
        let found = deliveries(app, endpoint_id, query).await;
        if found.len() >= count {
            return found;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} deliveries {query} after 20 s");
}

async fn events_are_delivered_signed_as_the_feed_shows_them(app: TestApp) {
    let receiver = Receiver::start();
    let (endpoint_id, secret) = endpoint(&app, &receiver, json!({})).await;
    let id = contact(&app, "Ada").await;
    app.post("/v1/companies", &app.admin_key, json!({"name": "Not delivered: companies are not taken"}))
        .await
        .expect(201);
    app.patch(&format!("/v1/contacts/{id}"), &app.admin_key, json!({"job_title": "Countess"})).await.expect(200);
    let received = receiver.wait_for(WITHIN, |r| r.len() >= 2).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let received = if receiver.received().len() > received.len() { receiver.received() } else { received };
    assert_eq!(received.len(), 2, "one request per contact event, none for the company");

    let feed = app.get("/v1/events?types=contact.*", &app.admin_key).await;
    let events = feed.expect(200).body["data"].as_array().unwrap().clone();
    for (r, event) in received.iter().zip(&events) {
        assert!(verifies(&secret, r), "the signature of {}", r.id);
        assert_eq!(r.id, event["id"], "webhook-id is the event id");
        assert_eq!(&r.json(), event, "the body is the event as the feed shows it");
        assert!(r.signature.starts_with("v1,") && !r.signature.contains(' '));
        assert!((r.timestamp.parse::<i64>().unwrap() - chrono::Utc::now().timestamp()).abs() < 60);
    }
    assert_eq!(received[0].json()["type"], "contact.created");
    assert_eq!(received[1].json()["data"]["previous_attributes"]["job_title"], Value::Null);
    verified_by_reference_library(&secret, &received);

    let listed = deliveries(&app, &endpoint_id, "").await;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|d| d["status"] == "succeeded" && d["attempt_count"] == 1), "{listed:?}");
    let attempt = &listed[0]["attempts"][0];
    assert_eq!(
        (attempt["response_status"].clone(), attempt["response_body"].clone()),
        (json!(200), json!("answered 200"))
    );
    assert_eq!(deliveries(&app, &endpoint_id, "status=failed").await.len(), 0);
    assert_eq!(deliveries(&app, &endpoint_id, "event_type=contact.updated").await.len(), 1);
    let bad = app
        .get(&format!("/v1/webhook-endpoints/{endpoint_id}/deliveries?created_after=yesterday"), &app.admin_key)
        .await;
    bad.expect_problem(400, "invalid_created_after");
}

async fn retries_keep_the_id_and_later_events_of_a_record_wait(app: TestApp) {
    let receiver = Receiver::start();
    receiver.answer(500, 0);
    let (endpoint_id, secret) = endpoint(&app, &receiver, json!({})).await;
    let id = contact(&app, "Grace").await;
    for title in ["Rear admiral", "Commodore"] {
        app.patch(&format!("/v1/contacts/{id}"), &app.admin_key, json!({"job_title": title})).await.expect(200);
    }
    let other = contact(&app, "Other").await;
    // The first event is retried; the record's later events wait behind it; another record's don't.
    let failing =
        receiver.wait_for(WITHIN, |r| r.iter().filter(|r| r.json()["data"]["object"]["id"] == id).count() >= 3).await;
    let of_record: Vec<&Received> = failing.iter().filter(|r| r.json()["data"]["object"]["id"] == id).collect();
    assert!(
        of_record.iter().all(|r| r.id == of_record[0].id),
        "only the first event of the record, retried with its id"
    );
    assert!(failing.iter().any(|r| r.json()["data"]["object"]["id"] == other));
    receiver.answer(200, 0);
    let done = receiver.wait_for(WITHIN, |r| r.iter().filter(|r| r.status == 200).count() >= 4).await;
    let delivered: Vec<Value> =
        done.iter().filter(|r| r.status == 200 && r.json()["data"]["object"]["id"] == id).map(Received::json).collect();
    let titles: Vec<Value> = delivered.iter().map(|e| e["data"]["object"]["job_title"].clone()).collect();
    assert_eq!(titles, [Value::Null, json!("Rear admiral"), json!("Commodore")], "in order");
    assert!(done.iter().all(|r| verifies(&secret, r)));
    let listed = deliveries(&app, &endpoint_id, "event_type=contact.created").await;
    let first = listed.iter().find(|d| d["attempt_count"].as_i64().unwrap() > 1).unwrap();
    let attempts = first["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["response_status"], 500);
    assert!(attempts[0]["next_attempt_at"].is_string());
    assert_eq!(attempts.last().unwrap()["response_status"], 200);
}

async fn a_delivery_that_exhausts_its_schedule_fails_and_recover_sends_it_again(app: TestApp) {
    let receiver = Receiver::start();
    receiver.answer(503, 0);
    let (endpoint_id, _) = endpoint(&app, &receiver, json!({})).await;
    let started = chrono::Utc::now() - chrono::Duration::seconds(5);
    contact(&app, "Failing").await;
    // The first attempt and the schedule's three retries.
    receiver.wait_for(WITHIN, |r| r.len() >= 4).await;
    let failed = deliveries_once(&app, &endpoint_id, "status=failed", 1).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["attempt_count"], 4);
    assert_eq!(failed[0]["next_attempt_at"], Value::Null);
    assert_eq!(receiver.received().len(), 4, "nothing after the schedule");
    let endpoint = app.get(&format!("/v1/webhook-endpoints/{endpoint_id}"), &app.admin_key).await;
    assert!(endpoint.body["failing_since"].is_string(), "{}", endpoint.text);

    receiver.answer(200, 0);
    let path = format!("/v1/webhook-endpoints/{endpoint_id}/recover");
    app.post(&path, &app.admin_key, json!({"since": "not a time"})).await.expect(422);
    let recovered = app.post(&path, &app.admin_key, json!({"since": started.to_rfc3339()})).await;
    assert_eq!(recovered.expect(200).body["redelivering"], 1);
    receiver.wait_for(WITHIN, |r| r.iter().any(|r| r.status == 200)).await;
    let succeeded = deliveries_once(&app, &endpoint_id, "status=succeeded", 1).await;
    assert_eq!(succeeded[0]["attempt_count"], 5);
    // A success ends the endpoint's failing streak.
    let endpoint = app.get(&format!("/v1/webhook-endpoints/{endpoint_id}"), &app.admin_key).await;
    assert_eq!(endpoint.body["failing_since"], Value::Null, "{}", endpoint.text);
}

async fn gone_disables_the_endpoint_with_an_event(app: TestApp) {
    let receiver = Receiver::start();
    receiver.answer(410, 0);
    let (endpoint_id, _) = endpoint(&app, &receiver, json!({})).await;
    contact(&app, "Gone").await;
    receiver.wait_for(WITHIN, |r| !r.is_empty()).await;
    let mut endpoint = Value::Null;
    for _ in 0..400 {
        endpoint = app.get(&format!("/v1/webhook-endpoints/{endpoint_id}"), &app.admin_key).await.body;
        if endpoint["enabled"] == false {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!((endpoint["enabled"].clone(), endpoint["disabled_reason"].clone()), (json!(false), json!("gone")));
    let feed = app.get("/v1/events?types=webhook_endpoint.disabled", &app.admin_key).await;
    let disabled = &feed.expect(200).body["data"][0];
    assert_eq!(disabled["data"]["object"]["id"], endpoint_id.as_str());
    assert_eq!(disabled["actor"]["type"], "system");
    // Nothing more is sent to it.
    contact(&app, "After").await;
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.received().len(), 1);
    app.post(&format!("/v1/webhook-endpoints/{endpoint_id}/test"), &app.admin_key, json!({}))
        .await
        .expect_problem(409, "endpoint_disabled");
}

async fn a_rotated_secret_signs_beside_the_old_one_during_the_overlap(app: TestApp) {
    let receiver = Receiver::start();
    let (endpoint_id, old) = endpoint(&app, &receiver, json!({})).await;
    let path = format!("/v1/webhook-endpoints/{endpoint_id}/rotate-secret");
    app.post(&path, &app.admin_key, json!({"overlap_seconds": -1})).await.expect(422);
    let rotated = app.post(&path, &app.admin_key, json!({"overlap_seconds": 3600})).await;
    rotated.expect(200);
    let new = rotated.body["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    contact(&app, "Rotated").await;
    let received = receiver.wait_for(WITHIN, |r| !r.is_empty()).await;
    assert_eq!(received[0].signature.split(' ').count(), 2, "both signatures: {}", received[0].signature);
    assert!(verifies(&old, &received[0]) && verifies(&new, &received[0]));
    verified_by_reference_library(&old, &received);
    verified_by_reference_library(&new, &received);
    // Without overlap, only the new secret signs.
    let rotated = app.post(&path, &app.admin_key, json!({"overlap_seconds": 0})).await;
    let newest = rotated.expect(200).body["secret"].as_str().unwrap().to_string();
    contact(&app, "Rotated again").await;
    let received = receiver.wait_for(WITHIN, |r| r.len() >= 2).await;
    assert!(!received[1].signature.contains(' ') && verifies(&newest, &received[1]) && !verifies(&new, &received[1]));
    assert!(app.event_types().contains(&"webhook_endpoint.secret_rotated".to_string()));

    // Two rotations at once: each secret handed out signs (one current, the other previous).
    let body = json!({"overlap_seconds": 3600});
    let (a, b) = futures_util::future::join(
        app.post(&path, &app.admin_key, body.clone()),
        app.post(&path, &app.admin_key, body),
    )
    .await;
    let secrets = [a.expect(200).body["secret"].clone(), b.expect(200).body["secret"].clone()];
    contact(&app, "Rotated twice").await;
    let received = receiver.wait_for(WITHIN, |r| r.len() >= 3).await;
    for secret in &secrets {
        assert!(verifies(secret.as_str().unwrap(), &received[2]), "{secret} does not sign: {}", received[2].signature);
    }
}

async fn test_events_and_single_retries_reach_the_endpoint_alone(app: TestApp) {
    let (receiver, bystander) = (Receiver::start(), Receiver::start());
    let (endpoint_id, secret) = endpoint(&app, &receiver, json!({})).await;
    endpoint(&app, &bystander, json!({"event_types": []})).await;
    let test = app.post(&format!("/v1/webhook-endpoints/{endpoint_id}/test"), &app.admin_key, json!({})).await;
    test.expect(202);
    assert_eq!(
        (test.body["event_type"].clone(), test.body["status"].clone()),
        (json!("webhook.test"), json!("pending"))
    );
    let received = receiver.wait_for(WITHIN, |r| !r.is_empty()).await;
    assert_eq!(received[0].json()["type"], "webhook.test");
    assert_eq!(received[0].json()["data"]["object"]["id"], endpoint_id.as_str());
    assert!(verifies(&secret, &received[0]));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(bystander.received().iter().all(|r| r.json()["type"] != "webhook.test"), "the test went to one endpoint");

    // A delivered event, sent again on request: the same webhook-id.
    let delivery_id = test.body["id"].as_str().unwrap();
    deliveries_once(&app, &endpoint_id, "event_type=webhook.test&status=succeeded", 1).await;
    let retried = app
        .post(&format!("/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"), &app.admin_key, json!({}))
        .await;
    retried.expect(202);
    let again = receiver.wait_for(WITHIN, |r| r.len() >= 2).await;
    assert_eq!(again[1].id, again[0].id);
    app.post(&format!("/v1/webhook-endpoints/{endpoint_id}/deliveries/whdel_nothing/retry"), &app.admin_key, json!({}))
        .await
        .expect(404);
    app.post(&format!("/v1/webhook-endpoints/{endpoint_id}/test"), &app.other_org_key, json!({})).await.expect(404);
}

async fn retry_after_is_honoured_and_the_rate_limit_spreads_deliveries(app: TestApp) {
    let receiver = Receiver::start();
    receiver.answer(503, 1);
    endpoint(&app, &receiver, json!({})).await;
    contact(&app, "Later").await;
    let received = receiver.wait_for(WITHIN, |r| r.len() >= 2).await;
    let gap = received[1].at - received[0].at;
    assert!(gap >= Duration::from_millis(950), "Retry-After: 1 waited {gap:?}, the schedule says 50ms");

    let limited = Receiver::start();
    let (endpoint_id, _) = endpoint(&app, &limited, json!({"rate_limit_per_second": 5})).await;
    for i in 0..11 {
        contact(&app, &format!("Rated {i}")).await;
    }
    let received = limited.wait_for(WITHIN, |r| r.len() >= 11).await;
    let spread = received[10].at - received[0].at;
    assert!(spread >= Duration::from_millis(1500), "11 deliveries at 5/s took {spread:?}");
    // Their outcomes are recorded a moment after the receiver answers.
    assert_eq!(deliveries_once(&app, &endpoint_id, "status=succeeded&limit=200", 11).await.len(), 11);
}

#[actix_web::test]
async fn private_addresses_are_refused_at_connect_time() {
    // The machine's own name resolves to a loopback or private address here: allowed as a URL
    // (a name is not checked until a connection is made), refused when the delivery connects.
    let receiver = Receiver::start();
    let app = TestApp::spawn_with(Backend::Sqlite, &[("CRM_WEBHOOK_RETRY_SCHEDULE", "50ms")]).await;
    let host = std::process::Command::new("hostname").output().unwrap();
    let host = String::from_utf8(host.stdout).unwrap().trim().to_string();
    let port = receiver.url.rsplit(':').next().unwrap().trim_end_matches("/hook").to_string();
    let url = format!("http://{host}:{port}/hook");
    let created = app.post("/v1/webhook-endpoints", &app.admin_key, json!({"url": url})).await;
    created.expect(201);
    let endpoint_id = created.body["id"].as_str().unwrap();
    contact(&app, "Internal").await;
    let failed = deliveries_once(&app, endpoint_id, "status=failed", 1).await;
    let attempt = &failed[0]["attempts"][0];
    assert!(attempt["error"].as_str().unwrap().contains("no public address"), "{attempt}");
    assert!(receiver.received().is_empty(), "nothing reached the private address");
}

#[actix_web::test]
async fn https_targets_are_spoken_to_in_tls() {
    // A plain-HTTP receiver behind an https:// URL: the client opens a TLS session (HTTPS is
    // built in), which the receiver cannot answer.
    let receiver = Receiver::start();
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("CRM_WEBHOOK_ALLOW_PRIVATE", "true"), ("CRM_WEBHOOK_RETRY_SCHEDULE", "50ms")],
    )
    .await;
    let url = receiver.url.replace("http://", "https://");
    let created = app.post("/v1/webhook-endpoints", &app.admin_key, json!({"url": url})).await;
    let endpoint_id = created.expect(201).body["id"].as_str().unwrap().to_string();
    contact(&app, "Secure").await;
    let failed = deliveries_once(&app, &endpoint_id, "status=failed", 1).await;
    let error = failed[0]["attempts"][0]["error"].as_str().unwrap().to_lowercase();
    assert!(!error.contains("scheme") && (error.contains("tls") || error.contains("connect")), "{error}");
}

/// The Python receiver of `examples/webhooks/` (on the reference library), run as it is: it
/// verifies a real delivery and recognizes a redelivery as a duplicate.
#[actix_web::test]
async fn the_python_example_receiver_verifies_deliveries() {
    let Ok(python) = std::env::var("CRM_TEST_PYTHON") else {
        eprintln!("CRM_TEST_PYTHON is not set: the example receiver is not run");
        return;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, crate::FAST).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let created =
        app.post("/v1/webhook-endpoints", &app.admin_key, json!({"url": format!("http://127.0.0.1:{port}/")})).await;
    created.expect(201);
    let (endpoint_id, secret) = (created.body["id"].as_str().unwrap(), created.body["secret"].as_str().unwrap());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/webhooks/receiver.py");
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(
        std::process::Command::new(python)
            .arg(script)
            .env("WEBHOOK_SECRET", secret)
            .env("LISTEN", format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let reader = {
        let (stdout, lines) = (child.0.stdout.take().unwrap(), lines.clone());
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        })
    };
    let wait_for = |text: &'static str| {
        let lines = lines.clone();
        async move {
            for _ in 0..200 {
                if lines.lock().unwrap().iter().any(|l| l.contains(text)) {
                    return;
                }
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the receiver never printed {text:?}: {:?}", lines.lock().unwrap());
        }
    };
    wait_for("listening").await;
    let contact_id = contact(&app, "Example").await;
    wait_for("\"type\": \"contact.created\"").await;
    assert!(lines.lock().unwrap().iter().any(|l| l.contains(&contact_id)));
    // Once its attempt is recorded, the delivery is sent again on request: a duplicate to it.
    let delivered = deliveries_once(&app, endpoint_id, "event_type=contact.created&status=succeeded", 1).await;
    let path = format!("/v1/webhook-endpoints/{endpoint_id}/deliveries/{}/retry", delivered[0]["id"].as_str().unwrap());
    app.post(&path, &app.admin_key, json!({})).await.expect(202);
    wait_for("duplicate").await;
    drop(child);
    let _ = reader.join();
}

both_fast!(deleting_an_endpoint_mid_delivery_costs_the_others_nothing);

/// An endpoint deleted while its deliveries are in flight: the outcomes of the other endpoint's
/// deliveries, recorded in the same batch, are kept, and nothing is sent twice.
async fn deleting_an_endpoint_mid_delivery_costs_the_others_nothing(app: TestApp) {
    let (doomed, kept) = (Receiver::start(), Receiver::start());
    for receiver in [&doomed, &kept] {
        receiver.delay(Duration::from_millis(600));
    }
    let (doomed_id, _) = endpoint(&app, &doomed, json!({})).await;
    let (kept_id, _) = endpoint(&app, &kept, json!({})).await;
    for i in 0..5 {
        contact(&app, &format!("Mid {i}")).await;
    }
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    app.delete(&format!("/v1/webhook-endpoints/{doomed_id}"), &app.admin_key).await.expect(204);
    let delivered = deliveries_once(&app, &kept_id, "status=succeeded", 5).await;
    assert!(delivered.iter().all(|d| d["attempt_count"] == 1 && d["attempts"].as_array().unwrap().len() == 1));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kept.received().len(), 5, "each event once");
    app.get(&format!("/v1/webhook-endpoints/{doomed_id}/deliveries"), &app.admin_key).await.expect(404);
}
