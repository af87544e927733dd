//! The fault soak: a mixed read/write load on the server binary for a bounded time, with the
//! server SIGKILLed and restarted, and (on PostgreSQL) the database stopped and started, in
//! between. Then: every write that answered 2xx is there, with exactly one event, and the
//! changes feed holds every event of the database, in order.
//!
//! `CRM_SOAK_BINARY` names the server to run (`scripts/test.sh` passes the release build; the
//! debug build otherwise) and `CRM_SOAK_SECONDS` the load's duration (default 12).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server_process::{ServerProcess, count, get_json, init};
use crate::support::PrivatePostgres;

const WORKERS: usize = 6;

/// What the load saw acknowledged.
#[derive(Default)]
struct Ledger {
    /// Contacts whose create answered 2xx: id → the unique name it was created with.
    created: BTreeMap<String, String>,
    /// Updates that answered 2xx: (contact id, the unique job title they set).
    updated: Vec<(String, String)>,
    requests: u64,
    unavailable: u64,
    unanswered: u64,
}

async fn worker(n: usize, base: Arc<Mutex<String>>, key: String, ledger: Arc<Mutex<Ledger>>, stop: Arc<AtomicBool>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let url = |path: &str| format!("{}{path}", base.lock().unwrap());
    let mut i = 0u64;
    let mut mine: Vec<String> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let name = format!("soak-{n}-{i}");
        // A create, retried with its key until it is answered.
        let id = loop {
            let sent = client
                .post(url("/v1/contacts"))
                .bearer_auth(&key)
                .header("Idempotency-Key", &name)
                .json(&json!({"first_name": name, "last_name": "Soak"}))
                .send()
                .await;
            // The status and the body, or nothing when the server died before answering whole.
            let answer = match sent {
                Ok(r) => Some((r.status().as_u16(), r.json::<Value>().await.ok())),
                Err(_) => None,
            };
            {
                let mut ledger_now = ledger.lock().unwrap();
                ledger_now.requests += 1;
                match answer {
                    Some((201, Some(body))) if body["id"].is_string() => {
                        break body["id"].as_str().map(str::to_string);
                    }
                    Some((503 | 409, _)) => ledger_now.unavailable += 1,
                    Some((201, _)) | None => ledger_now.unanswered += 1,
                    Some((status, body)) => panic!("create {name}: unexpected {status} {body:?}"),
                }
            }
            if stop.load(Ordering::SeqCst) {
                break None;
            }
            actix_web::rt::time::sleep(Duration::from_millis(30)).await;
        };
        let Some(id) = id else { break };
        ledger.lock().unwrap().created.insert(id.clone(), name.clone());
        mine.push(id);
        // An update of one of this worker's contacts; its title is unique, so its event is too.
        let target = mine[(i as usize * 7) % mine.len()].clone();
        let title = format!("title-{n}-{i}");
        let sent = client
            .patch(url(&format!("/v1/contacts/{target}")))
            .bearer_auth(&key)
            .json(&json!({"job_title": title}))
            .send()
            .await;
        let status = sent.map(|r| r.status().as_u16()).ok();
        if status.is_some_and(|s| (200..300).contains(&s)) {
            ledger.lock().unwrap().updated.push((target.clone(), title));
        }
        tally(&ledger, status, &[200], &format!("update {target}"));
        // Reads: a page, and the record.
        for path in ["/v1/contacts?limit=20".to_string(), format!("/v1/contacts/{target}")] {
            let status = client.get(url(&path)).bearer_auth(&key).send().await.map(|r| r.status().as_u16()).ok();
            tally(&ledger, status, &[200], &format!("GET {path}"));
        }
    }
}

/// Counts a request by its answer (`None`: none came); an answer neither `ok` nor a 503/409
/// fails the test.
fn tally(ledger: &Mutex<Ledger>, status: Option<u16>, ok: &[u16], what: &str) {
    let mut ledger = ledger.lock().unwrap();
    ledger.requests += 1;
    match status {
        Some(status) if ok.contains(&status) => {}
        Some(503 | 409) => ledger.unavailable += 1,
        Some(status) => panic!("{what}: unexpected {status}"),
        None => ledger.unanswered += 1,
    }
}

/// Every event of the feed, paged from the start.
async fn feed(base: &str, key: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = get_json(&client, base, key, &format!("/v1/events?after={after}&limit=1000")).await;
        let data = page["data"].as_array().unwrap();
        events.extend(data.iter().cloned());
        after = page["next_after"].as_i64().unwrap_or(after);
        if data.is_empty() || page["has_more"] != true {
            return events;
        }
    }
}

async fn soak(database_url: &str, postgres: Option<&PrivatePostgres>) {
    let seconds: u64 = std::env::var("CRM_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    let key = init(database_url);
    let env = [("CRM_DATABASE_WAIT_MS", "500")];
    let mut server = ServerProcess::start(database_url, &env).await;
    let base = Arc::new(Mutex::new(server.base.clone()));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let (mut kills, mut restarts) = (0u64, 0u64);
    let workers: Vec<_> = (0..WORKERS)
        .map(|n| actix_web::rt::spawn(worker(n, base.clone(), key.clone(), ledger.clone(), stop.clone())))
        .collect();

    let started = Instant::now();
    let mut round = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
        round += 1;
        match (round % 2, postgres) {
            (0, Some(pg)) => {
                pg.stop("fast");
                actix_web::rt::time::sleep(Duration::from_millis(400)).await;
                pg.start_again();
                restarts += 1;
            }
            _ => {
                server.process.kill();
                kills += 1;
                // On a new port: the old one may still be held by its closing connections.
                server = ServerProcess::start(database_url, &env).await;
                *base.lock().unwrap() = server.base.clone();
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }

    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(
        kills >= 2 && ledger.created.len() > 50,
        "too little happened: {kills} kills, {} creates",
        ledger.created.len()
    );
    // Every acknowledged create is there once, with one event.
    let client = reqwest::Client::new();
    for (id, name) in &ledger.created {
        let found = client.get(format!("{}/v1/contacts/{id}", server.base)).bearer_auth(&key).send().await.unwrap();
        assert_eq!(found.status(), 200, "{id} ({name}) was acknowledged and is gone");
    }
    let names = count(database_url, "SELECT COUNT(DISTINCT first_name) AS n FROM contacts WHERE last_name = 'Soak'");
    let rows = count(database_url, "SELECT COUNT(*) AS n FROM contacts WHERE last_name = 'Soak'");
    assert_eq!(names, rows, "a name (an Idempotency-Key) made two contacts");

    // The feed: every event of the database, in strictly increasing order.
    let total = count(database_url, "SELECT COUNT(*) AS n FROM events");
    let mut events = feed(&server.base, &key).await;
    let waited = Instant::now();
    while (events.len() as i64) < total && waited.elapsed() < Duration::from_secs(10) {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        events = feed(&server.base, &key).await;
    }
    assert_eq!(events.len() as i64, total, "the feed misses events of the database");
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "the feed is out of order");
    let mut created_events = BTreeMap::<String, usize>::new();
    let mut titles = BTreeMap::<(String, String), usize>::new();
    for event in &events {
        let object = &event["data"]["object"];
        let id = object["id"].as_str().unwrap_or_default().to_string();
        match event["type"].as_str() {
            Some("contact.created") => *created_events.entry(id).or_default() += 1,
            Some("contact.updated") => {
                let title = object["job_title"].as_str().unwrap_or_default().to_string();
                *titles.entry((id, title)).or_default() += 1;
            }
            _ => {}
        }
    }
    for id in ledger.created.keys() {
        assert_eq!(created_events.get(id), Some(&1), "{id}: one contact.created event");
    }
    for update in &ledger.updated {
        assert_eq!(titles.get(update), Some(&1), "{update:?}: one contact.updated event");
    }
    let ids: BTreeSet<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), events.len(), "an event appears twice in the feed");
    eprintln!(
        "soak: {seconds} s, {} requests ({} answered 503/409, {} unanswered), {} creates and {} updates \
         acknowledged, {kills} server kills, {restarts} database restarts, {} events: none lost, none doubled",
        ledger.requests,
        ledger.unavailable,
        ledger.unanswered,
        ledger.created.len(),
        ledger.updated.len(),
        events.len()
    );
}

#[actix_web::test]
async fn soak_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    soak(&format!("sqlite://{}", dir.path().join("crm.db").display()), None).await;
}

#[actix_web::test]
async fn soak_postgres() {
    let pg = PrivatePostgres::start();
    let url = pg.create_database("crm");
    soak(&url, Some(&pg)).await;
}
