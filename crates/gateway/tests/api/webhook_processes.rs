//! Webhook delivery across real processes: `kill -9` of the server in the middle of a burst of
//! writes and deliveries loses no committed event and invents none; two `crm worker`s on one
//! PostgreSQL never attempt one event at the same time.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crm_test_support::receiver::Receiver;
use diesel::prelude::*;
use futures_util::StreamExt;
use serde_json::json;

use crate::crash_safety::database;
use crate::server_process::{Killed, ServerProcess, count, crm, init};
use crate::support::{Backend, temporary_pg_database};

/// Fast retries and a short receiver timeout, so a killed server's leases (timeout + 5 s) expire soon.
const FAST: &[(&str, &str)] = &[
    ("CRM_WEBHOOK_ALLOW_PRIVATE", "true"),
    ("CRM_WEBHOOK_RETRY_SCHEDULE", "50ms,100ms,200ms,500ms,1s,1s,1s,1s,1s,1s"),
    ("CRM_WEBHOOK_TIMEOUT_MS", "1000"),
];

/// The ids of the committed events of these types.
fn committed_events(database_url: &str, like: &str) -> HashSet<String> {
    use crm_core::schema::events;
    let mut conn = crm_core::db::DbConnection::open(database_url).unwrap();
    events::table
        .filter(events::event_type.like(like))
        .select(events::id)
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .collect()
}

async fn create_endpoint(base: &str, key: &str, url: &str) -> String {
    let client = reqwest::Client::new();
    let body = json!({"url": url, "event_types": ["contact.*"]});
    let created: serde_json::Value = client
        .post(format!("{base}/v1/webhook-endpoints"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["id"].as_str().unwrap().to_string()
}

/// Contacts created 8 at a time; `answered` counts the answers.
async fn burst(base: &str, key: &str, from: usize, count: usize, answered: Arc<AtomicUsize>) {
    let client = reqwest::Client::new();
    let requests = (from..from + count).map(|i| {
        let (client, answered) = (client.clone(), answered.clone());
        let url = format!("{base}/v1/contacts");
        let key = key.to_string();
        async move {
            let sent =
                client.post(url).bearer_auth(key).json(&json!({"first_name": format!("Burst {i}")})).send().await;
            if sent.is_ok() {
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    futures_util::stream::iter(requests).buffer_unordered(8).collect::<Vec<()>>().await;
}

async fn every_committed_event_arrives_across_kill_9(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _drop) = database(backend, &dir);
    let key = init(&database_url);
    let receiver = Receiver::start();
    // Slow answers: deliveries are in flight when the server dies.
    receiver.delay(Duration::from_millis(50));
    let mut server = ServerProcess::start(&database_url, FAST).await;
    create_endpoint(&server.base, &key, &receiver.url).await;
    for round in 0..3 {
        let answered = Arc::new(AtomicUsize::new(0));
        let sending = burst(&server.base, &key, round * 100, 100, answered.clone());
        let mut process = server.process;
        let (receiver, before) = (&receiver, receiver.received().len());
        // The kill lands amid writes and deliveries: after some answers of each.
        let killer = async move {
            while answered.load(Ordering::SeqCst) < 40 + round * 10 || receiver.received().len() < before + 5 {
                actix_web::rt::time::sleep(Duration::from_micros(300)).await;
            }
            process.kill();
        };
        futures_util::future::join(sending, killer).await;
        server = ServerProcess::start(&database_url, FAST).await;
    }
    burst(&server.base, &key, 1000, 50, Arc::new(AtomicUsize::new(0))).await;
    let committed = committed_events(&database_url, "contact.%");
    assert!(committed.len() >= 170, "{} contacts committed", committed.len());
    receiver
        .wait_for(Duration::from_secs(90), |r| {
            let ids: HashSet<&str> = r.iter().filter(|r| r.status == 200).map(|r| r.id.as_str()).collect();
            committed.iter().all(|c| ids.contains(c.as_str()))
        })
        .await;
    // Every delivery ends recorded as succeeded: those a killed server had in flight were sent
    // again once its leases expired.
    let started = std::time::Instant::now();
    while count(&database_url, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'succeeded'") > 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "deliveries still pending");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let received = receiver.received();
    let ids: HashSet<String> = received.iter().map(|r| r.id.clone()).collect();
    assert_eq!(count(&database_url, "SELECT COUNT(*) AS n FROM webhook_deliveries") as usize, committed.len());
    let phantom: Vec<&String> = ids.difference(&committed).collect();
    assert!(phantom.is_empty(), "delivered but never committed: {phantom:?}");
    // Duplicates are retries of one event: the same id, the same bytes.
    let mut bodies: HashMap<&str, &[u8]> = HashMap::new();
    for r in &received {
        assert_eq!(*bodies.entry(&r.id).or_insert(&r.body), r.body.as_slice(), "{} sent with two bodies", r.id);
    }
    // The kills landed mid-delivery: some events were sent again, after the lease of the dead
    // server expired.
    assert!(received.len() > ids.len(), "no delivery was cut short: {} requests", received.len());
    eprintln!("{} events committed, {} requests received", committed.len(), received.len());
}

#[actix_web::test]
async fn every_committed_event_arrives_across_kill_9_sqlite() {
    every_committed_event_arrives_across_kill_9(Backend::Sqlite).await
}

#[actix_web::test]
async fn every_committed_event_arrives_across_kill_9_postgres() {
    every_committed_event_arrives_across_kill_9(Backend::Postgres).await
}

/// `crm worker` on `database_url` with `env`.
fn worker(database_url: &str, env: &[(&str, &str)]) -> Killed {
    Killed(
        crm(database_url)
            .arg("worker")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[actix_web::test]
async fn two_workers_never_attempt_one_event_at_once() {
    let (database_url, _drop) = temporary_pg_database();
    let key = init(&database_url);
    let receiver = Receiver::start();
    // Slow answers and failures: attempts overlap in time across the workers.
    receiver.delay(Duration::from_millis(30));
    receiver.answer(503, 0);
    let mut gateway_env = FAST.to_vec();
    gateway_env.push(("CRM_JOB_WORKERS", "0"));
    let server = ServerProcess::start(&database_url, &gateway_env).await;
    create_endpoint(&server.base, &key, &receiver.url).await;
    let _workers = [worker(&database_url, FAST), worker(&database_url, FAST)];
    burst(&server.base, &key, 0, 150, Arc::new(AtomicUsize::new(0))).await;
    receiver.wait_for(Duration::from_secs(30), |r| r.len() >= 300).await;
    receiver.answer(200, 0);
    let committed = committed_events(&database_url, "contact.%");
    let received = receiver
        .wait_for(Duration::from_secs(60), |r| {
            let ids: HashSet<&str> = r.iter().filter(|r| r.status == 200).map(|r| r.id.as_str()).collect();
            committed.iter().all(|c| ids.contains(c.as_str()))
        })
        .await;
    let mut by_id: HashMap<&str, Vec<(std::time::Instant, std::time::Instant)>> = HashMap::new();
    for r in &received {
        by_id.entry(&r.id).or_default().push((r.arrived, r.at));
    }
    for (id, mut attempts) in by_id {
        attempts.sort();
        for pair in attempts.windows(2) {
            assert!(pair[1].0 >= pair[0].1, "{id} was attempted twice at once");
        }
    }
}
