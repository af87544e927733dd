//! `kill -9` at random points of a burst of keyed creates, then retries of every request that
//! got no answer with its `Idempotency-Key`: exactly one record and one creation event per key,
//! and every answer for a key names the same record. The real server binary, really killed, on
//! both databases; for contacts (a JSON body) and for imports (a streamed multipart upload,
//! whose key is claimed when the upload has arrived).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server_process::{ServerProcess, count, get_json, init};
use crate::support::{Backend, TemporaryDatabase, temporary_pg_database};

const KILLS: usize = 4;

/// A kind of keyed create: how to send the `i`th, and the status that means it was created.
struct Create {
    keys: usize,
    created: u16,
    request: fn(&reqwest::Client, &str, usize) -> reqwest::RequestBuilder,
}

const CONTACTS: Create = Create {
    keys: 150,
    created: 201,
    request: |client, base, i| {
        client.post(format!("{base}/v1/contacts")).json(&json!({"first_name": format!("K{i}"), "last_name": "Crash"}))
    },
};

const IMPORTS: Create = Create {
    keys: 40,
    created: 202,
    request: |client, base, i| {
        let boundary = "crash-boundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n\
             {{\"mapping\": {{\"First Name\": \"first_name\", \"Last Name\": \"last_name\"}}}}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.csv\"\r\n\
             Content-Type: text/csv\r\n\r\nFirst Name,Last Name\nI{i},Crash\n\r\n--{boundary}--\r\n"
        );
        client
            .post(format!("{base}/v1/imports"))
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
    },
};

/// Sends the keyed create of every key at once; the answers that came back. `answered` counts
/// them as they arrive.
async fn burst(kind: &Create, base: &str, api_key: &str, answered: Arc<AtomicUsize>) -> Vec<(usize, u16, Value)> {
    let client = reqwest::Client::new();
    let requests = (0..kind.keys).map(|i| {
        let request =
            (kind.request)(&client, base, i).bearer_auth(api_key).header("Idempotency-Key", format!("crash-{i}"));
        let answered = answered.clone();
        actix_web::rt::spawn(async move {
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            let answer = (i, status, response.json::<Value>().await.ok()?);
            answered.fetch_add(1, Ordering::SeqCst);
            Some(answer)
        })
    });
    let mut answers = Vec::new();
    for task in requests.collect::<Vec<_>>() {
        if let Ok(Some(answer)) = task.await {
            answers.push(answer);
        }
    }
    answers
}

/// Bursts with kills inside, then bursts until every key is answered; the server left running,
/// and the id each key was answered with (the same at every answer).
async fn keyed_burst_with_kills(
    kind: &Create,
    database_url: &str,
    api_key: &str,
) -> (ServerProcess, HashMap<usize, String>) {
    let mut created_by: HashMap<usize, String> = HashMap::new();
    for round in 0..=KILLS + 5 {
        // Short leases: an import claimed by a killed server is taken up again soon.
        let server =
            ServerProcess::start(database_url, &[("CRM_JOB_LEASE_SECONDS", "2"), ("CRM_JOB_POLL_MS", "50")]).await;
        if created_by.len() == kind.keys {
            return (server, created_by);
        }
        // Every key again, the answered ones too: their answer is replayed.
        let answered = Arc::new(AtomicUsize::new(0));
        let base = server.base.clone();
        let sending = burst(kind, &base, api_key, answered.clone());
        let (answers, server) = if round < KILLS {
            // The kill lands inside the burst: after a random number of its answers.
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
            let kill_after = 1 + nanos as usize % (kind.keys - 1);
            let mut server = server;
            let killer = async move {
                while answered.load(Ordering::SeqCst) < kill_after {
                    actix_web::rt::time::sleep(Duration::from_micros(200)).await;
                }
                server.process.kill();
            };
            (futures_util::future::join(sending, killer).await.0, None)
        } else {
            (sending.await, Some(server))
        };
        for (i, status, body) in answers {
            match status {
                s if s == kind.created => {
                    let id = body["id"].as_str().unwrap().to_string();
                    let first = created_by.entry(i).or_insert_with(|| id.clone());
                    assert_eq!(*first, id, "key crash-{i} answered two different records");
                }
                // The database was busy or the request still in flight elsewhere: retried.
                409 | 503 => {}
                other => panic!("key crash-{i}: unexpected {other} {body}"),
            }
        }
        if let Some(server) = server
            && created_by.len() == kind.keys
        {
            return (server, created_by);
        }
    }
    panic!("{} of {} keys answered", created_by.len(), kind.keys);
}

/// A database for a process test: a SQLite file in `dir`, or a temporary PostgreSQL database.
pub fn database(backend: Backend, dir: &tempfile::TempDir) -> (String, Option<TemporaryDatabase>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.path().join("crm.db").display()), None),
        Backend::Postgres => {
            let (url, database) = temporary_pg_database();
            (url, Some(database))
        }
    }
}

async fn keyed_creates_survive_kill_9(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _drop) = database(backend, &dir);
    let api_key = init(&database_url);
    let (_server, _) = keyed_burst_with_kills(&CONTACTS, &database_url, &api_key).await;
    let contacts = count(&database_url, "SELECT COUNT(*) AS n FROM contacts WHERE last_name = 'Crash'");
    let distinct =
        count(&database_url, "SELECT COUNT(DISTINCT first_name) AS n FROM contacts WHERE last_name = 'Crash'");
    let events = count(&database_url, "SELECT COUNT(*) AS n FROM events WHERE type = 'contact.created'");
    let keys = CONTACTS.keys as i64;
    assert_eq!((contacts, distinct, events), (keys, keys, keys), "one contact and one event per key");
}

async fn keyed_imports_survive_kill_9(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _drop) = database(backend, &dir);
    let api_key = init(&database_url);
    let (server, jobs) = keyed_burst_with_kills(&IMPORTS, &database_url, &api_key).await;
    let keys = IMPORTS.keys as i64;
    assert_eq!(
        count(&database_url, "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'contacts.import'"),
        keys,
        "one import per key"
    );
    // Each import runs once: one contact per key.
    let client = reqwest::Client::new();
    let started = Instant::now();
    for job in jobs.values() {
        loop {
            let import = get_json(&client, &server.base, &api_key, &format!("/v1/imports/{job}")).await;
            if import["status"] == "succeeded" {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "{import}");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let contacts = count(&database_url, "SELECT COUNT(*) AS n FROM contacts WHERE last_name = 'Crash'");
    let distinct =
        count(&database_url, "SELECT COUNT(DISTINCT first_name) AS n FROM contacts WHERE last_name = 'Crash'");
    assert_eq!((contacts, distinct), (keys, keys), "one imported contact per key");
}

crm_test_support::both_backends!(keyed_creates_survive_kill_9, keyed_imports_survive_kill_9);
