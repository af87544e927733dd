//! `kill -9` at random points of a burst of keyed creates, then retries of every request that
//! got no answer with its `Idempotency-Key`: exactly one contact and one `contact.created`
//! event per key, and every answer for a key names the same contact. The real server binary,
//! really killed, on both databases.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::server_process::{ServerProcess, count, init};
use crate::support::{Backend, new_pg_database};

const KEYS: usize = 150;
const KILLS: usize = 4;
/// Sends the keyed create of every key in `keys` at once; the answers that came back.
/// `answered` counts them as they arrive.
async fn burst(base: &str, api_key: &str, keys: &[usize], answered: Arc<AtomicUsize>) -> Vec<(usize, u16, Value)> {
    let client = reqwest::Client::new();
    let requests = keys.iter().map(|&i| {
        let request = client
            .post(format!("{base}/v1/contacts"))
            .bearer_auth(api_key)
            .header("Idempotency-Key", format!("crash-{i}"))
            .json(&json!({"first_name": format!("K{i}"), "last_name": "Crash"}));
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

async fn keyed_creates_survive_kill_9(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _pg) = match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.path().join("crm.db").display()), None),
        Backend::Postgres => {
            let (url, admin_url, name) = new_pg_database();
            (url, Some(DropDatabase { admin_url, name }))
        }
    };
    let api_key = init(&database_url);

    let mut contact_of: HashMap<usize, String> = HashMap::new();
    for round in 0..=KILLS + 5 {
        let server = ServerProcess::start(&database_url, &[]).await;
        let pending: Vec<usize> = (0..KEYS).filter(|i| !contact_of.contains_key(i)).collect();
        if pending.is_empty() {
            break;
        }
        // Every key again, the answered ones too: their answer is replayed.
        let all: Vec<usize> = (0..KEYS).collect();
        let base = server.base.clone();
        let answered = Arc::new(AtomicUsize::new(0));
        let sending = burst(&base, &api_key, &all, answered.clone());
        let answers = if round < KILLS {
            // The kill lands inside the burst: after a random number of its answers.
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
            let kill_after = 1 + nanos as usize % (KEYS - 1);
            let mut server = server;
            let killer = async move {
                while answered.load(Ordering::SeqCst) < kill_after {
                    actix_web::rt::time::sleep(Duration::from_micros(200)).await;
                }
                server.child.kill().unwrap();
                server.child.wait().unwrap();
            };
            let (answers, ()) = futures_util::future::join(sending, killer).await;
            answers
        } else {
            sending.await
        };
        for (i, status, body) in answers {
            match status {
                201 => {
                    let id = body["id"].as_str().unwrap().to_string();
                    let first = contact_of.entry(i).or_insert_with(|| id.clone());
                    assert_eq!(*first, id, "key crash-{i} answered two different contacts");
                }
                // The database was busy or the request still in flight elsewhere: retried.
                409 | 503 => {}
                other => panic!("key crash-{i}: unexpected {other} {body}"),
            }
        }
    }
    assert_eq!(contact_of.len(), KEYS, "every key was answered in the end");
    let contacts = count(&database_url, "SELECT COUNT(*) AS n FROM contacts WHERE last_name = 'Crash'");
    let distinct =
        count(&database_url, "SELECT COUNT(DISTINCT first_name) AS n FROM contacts WHERE last_name = 'Crash'");
    let events = count(&database_url, "SELECT COUNT(*) AS n FROM events WHERE type = 'contact.created'");
    assert_eq!(
        (contacts, distinct, events),
        (KEYS as i64, KEYS as i64, KEYS as i64),
        "one contact and one event per key"
    );
}

struct DropDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

mod keyed_creates_survive_kill_9 {
    #[actix_web::test]
    async fn sqlite() {
        super::keyed_creates_survive_kill_9(crate::support::Backend::Sqlite).await
    }
    #[actix_web::test]
    async fn postgres() {
        super::keyed_creates_survive_kill_9(crate::support::Backend::Postgres).await
    }
}
