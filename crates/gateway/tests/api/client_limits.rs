//! Slow and greedy clients, over raw TCP: a body that stops arriving gets a 408 and its
//! connection closed, with or without an `Idempotency-Key`; a request head that never ends is
//! dropped; an address past its allowance of connections gets a 429 until it closes some.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Backend, TestApp};

const LIMITS: &[(&str, &str)] = &[
    ("CRM_CLIENT_BODY_TIMEOUT_MS", "300"),
    ("CRM_CLIENT_HEADER_TIMEOUT_MS", "2000"),
    ("CRM_MAX_CONNECTIONS_PER_ADDRESS", "3"),
];

/// Sends `head` and the start of a body, then waits: what the server answered before closing.
fn send_and_wait(app: &TestApp, raw: &str) -> (String, Duration) {
    let mut stream = TcpStream::connect(app.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(raw.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    // Until the server closes the connection (a read of 0 bytes).
    let _ = stream.read_to_end(&mut answer);
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

fn short_body(app: &TestApp, extra_header: &str) -> String {
    format!(
        "POST /v1/contacts HTTP/1.1\r\nHost: crm\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         {extra_header}Content-Length: 100\r\n\r\n{{\"first_name\": ",
        app.admin_key
    )
}

#[actix_web::test]
async fn a_body_that_stops_arriving_is_a_408_and_closes_the_connection() {
    let app = TestApp::spawn_with(Backend::Sqlite, LIMITS).await;
    for extra in ["", "Idempotency-Key: short-body-1\r\n"] {
        let raw = short_body(&app, extra);
        let (answer, waited) = std::thread::scope(|s| s.spawn(|| send_and_wait(&app, &raw)).join().unwrap());
        assert!(answer.starts_with("HTTP/1.1 408"), "{extra:?}: {answer}");
        assert!(answer.contains("application/problem+json") && answer.contains("request_timeout"), "{answer}");
        assert!(waited < Duration::from_secs(5), "closed after {waited:?}");
    }
    assert_eq!(app.count("contacts"), 0);
    // The key of the cut request is free: the whole request, sent again, creates.
    let reply = app
        .send(
            app.client
                .post(app.url("/v1/contacts"))
                .header("Idempotency-Key", "short-body-1")
                .json(&serde_json::json!({"first_name": "Ada"})),
            &app.admin_key,
        )
        .await;
    reply.expect(201);
}

#[actix_web::test]
async fn a_head_that_never_ends_is_dropped() {
    let app = TestApp::spawn_with(Backend::Sqlite, LIMITS).await;
    let (answer, waited) = std::thread::scope(|s| {
        s.spawn(|| send_and_wait(&app, "GET /v1/contacts HTTP/1.1\r\nHost: crm\r\nX-Slow: ")).join().unwrap()
    });
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(waited < Duration::from_secs(6), "held for {waited:?}");
}

#[actix_web::test]
async fn one_address_holds_at_most_its_allowance_of_connections() {
    let app = TestApp::spawn_with(Backend::Sqlite, LIMITS).await;
    let get = |stream: &mut TcpStream| -> String {
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: crm\r\n\r\n").unwrap();
        let mut buffer = [0u8; 4096];
        let n = stream.read(&mut buffer).unwrap_or(0);
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(app.addr).unwrap()).collect();
            for stream in &mut held {
                assert!(get(stream).starts_with("HTTP/1.1 200"));
            }
            let mut fourth = TcpStream::connect(app.addr).unwrap();
            let refused = get(&mut fourth);
            assert!(refused.starts_with("HTTP/1.1 429") && refused.contains("too_many_connections"), "{refused}");
            drop(fourth);
            drop(held.pop());
            std::thread::sleep(Duration::from_millis(100));
            let mut again = TcpStream::connect(app.addr).unwrap();
            assert!(get(&mut again).starts_with("HTTP/1.1 200"));
        })
        .join()
        .unwrap()
    });
}

#[actix_web::test]
async fn headers_over_the_limit_are_a_431() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("CRM_MAX_HEADER_BYTES", "2048")]).await;
    let big =
        app.send(app.client.get(app.url("/v1/contacts")).header("X-Padding", "x".repeat(3000)), &app.admin_key).await;
    big.expect_problem(431, "headers_too_large");
    let fine =
        app.send(app.client.get(app.url("/v1/contacts")).header("X-Padding", "x".repeat(500)), &app.admin_key).await;
    fine.expect(200);
}
