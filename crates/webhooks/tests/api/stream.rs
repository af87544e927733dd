//! `GET /v1/events/stream` (Server-Sent Events): live events, resuming with `Last-Event-ID`,
//! heartbeats, type filters; and a position older than the retention answers 410.

use std::time::Duration;

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::both_fast;

both_fast!(the_stream_delivers_live_and_resumes_after_the_last_event, pruned_positions_are_gone_not_skipped);

/// Reads the stream until `count` events (heartbeats aside) came; returns everything read as
/// (id, event type or `heartbeat`, data).
async fn read_events(mut response: reqwest::Response, count: usize) -> (Vec<(i64, String, Value)>, String) {
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio_deadline();
    while events.iter().filter(|(_, kind, _)| kind != "heartbeat").count() < count {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let chunk = actix_web::rt::time::timeout(left, response.chunk()).await.expect("the stream stalled");
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let (mut id, mut kind, mut data) = (None, None, None);
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse::<i64>().ok();
                } else if let Some(v) = line.strip_prefix("event: ") {
                    kind = Some(v.to_string());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str::<Value>(v).ok();
                } else if line.starts_with(':') {
                    kind.get_or_insert_with(|| "heartbeat".into());
                }
            }
            events.push((id.unwrap_or(0), kind.unwrap_or_default(), data.unwrap_or(Value::Null)));
        }
    }
    (events, text)
}

fn tokio_deadline() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(15)
}

async fn the_stream_delivers_live_and_resumes_after_the_last_event(app: TestApp) {
    let key = app.admin_key.clone();
    let open = |query: &str, last: Option<i64>| {
        let mut request = app.client.get(app.url(&format!("/v1/events/stream{query}"))).bearer_auth(&key);
        if let Some(last) = last {
            request = request.header("last-event-id", last.to_string());
        }
        request.send()
    };
    // Something from before the stream opens is not sent: the stream starts at the end.
    app.post("/v1/companies", &key, json!({"name": "Before"})).await.expect(201);
    let response = open("?types=contact.*&heartbeat=1", None).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let writer = {
        let (client, url, key) = (app.client.clone(), app.url("/v1/contacts"), key.clone());
        async move {
            // Well after the first heartbeat (1 s), even on a busy machine.
            actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
            for name in ["Live", "Stream"] {
                client.post(&url).bearer_auth(&key).json(&json!({"first_name": name})).send().await.unwrap();
                client
                    .post(url.replace("contacts", "companies"))
                    .bearer_auth(&key)
                    .json(&json!({"name": name}))
                    .send()
                    .await
                    .unwrap();
            }
        }
    };
    let ((events, _), ()) = futures_util::future::join(read_events(response, 2), writer).await;
    assert_eq!(events[0].1, "heartbeat", "a heartbeat while nothing happened: {events:?}");
    let live: Vec<&(i64, String, Value)> = events.iter().filter(|e| e.1 != "heartbeat").collect();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|e| e.1 == "contact.created" && e.2["type"] == "contact.created"));
    assert_eq!(live[0].2["data"]["object"]["first_name"], "Live");
    assert_eq!(live[0].0, live[0].2["seq"].as_i64().unwrap(), "the SSE id is the event's seq");

    // Reconnecting with Last-Event-ID resumes after it: the second event, and nothing before.
    let resumed = open("?types=contact.*", Some(live[0].0)).await.unwrap();
    let (events, _) = read_events(resumed, 1).await;
    assert_eq!(events[0].2["data"]["object"]["first_name"], "Stream");
    assert_eq!(events[0].0, live[1].0);

    let bad = app.send(app.client.get(app.url("/v1/events/stream")).header("last-event-id", "yesterday"), &key).await;
    bad.expect_problem(400, "invalid_last_event_id");
    app.send(app.client.get(app.url("/v1/events/stream?types=Contact")), &key)
        .await
        .expect_problem(400, "invalid_types");
    app.send(app.client.get(app.url("/v1/events/stream?heartbeat=0")), &key).await.expect(400);
    app.get("/v1/events/stream", "not-a-key").await.expect(401);
}

async fn pruned_positions_are_gone_not_skipped(app: TestApp) {
    let key = app.admin_key.clone();
    for name in ["Old", "Older"] {
        app.post("/v1/contacts", &key, json!({"first_name": name})).await.expect(201);
    }
    let feed = app.get("/v1/events", &key).await;
    let first = feed.expect(200).body["data"][0]["seq"].as_i64().unwrap();
    // Everything up to now is older than a retention ending in the future.
    let future = crm_core::time::now() + chrono::Duration::seconds(5);
    let pruned = crm_core::events::model::prune(&mut app.conn(), &app.org_id, future, 1000).unwrap();
    assert!(pruned >= 2);
    app.get(&format!("/v1/events?after={first}"), &key).await.expect_problem(410, "cursor_expired");
    let stream =
        app.send(app.client.get(app.url("/v1/events/stream")).header("last-event-id", first.to_string()), &key).await;
    stream.expect_problem(410, "cursor_expired");
    // From the start (after=0) is not a position: it reads what is retained.
    app.post("/v1/contacts", &key, json!({"first_name": "New"})).await.expect(201);
    let fresh = app.get("/v1/events?after=0", &key).await;
    assert_eq!(fresh.expect(200).body["data"].as_array().unwrap().len(), 1);
}
