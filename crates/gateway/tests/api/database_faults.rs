//! The server rides out database faults: a PostgreSQL restart under it, and a SQLite database
//! locked by another process. While the database cannot answer, requests get a 503 with
//! `Retry-After`, readiness says not ready, liveness stays up, and no client is counted as
//! failing to authenticate; once it is back, the server serves again by itself.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

use crate::support::{Backend, PrivatePostgres, Reply, TestApp};

/// Clients that may fail to authenticate 3 times a minute: an outage counted as failures would
/// lock them out.
const STRICT_LIMITS: &[(&str, &str)] = &[("CRM_RATE_LIMIT_ANONYMOUS_PER_MINUTE", "3"), ("CRM_DATABASE_WAIT_MS", "300")];

fn assert_unavailable(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 503, "{what}: {}", reply.text);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{what}");
    assert!(reply.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{what}: no Retry-After");
}

#[actix_web::test]
async fn a_postgresql_restart_costs_a_few_503s_and_nothing_else() {
    let pg = PrivatePostgres::start();
    let url = pg.create_database("crm");
    crm_core::db::DbConnection::open(&url).unwrap().migrate().unwrap();
    let app = TestApp::spawn_on(&url, STRICT_LIMITS).await;
    let before = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada"})).await;
    before.expect(201);

    pg.stop("fast");
    for _ in 0..5 {
        let reply = app.get("/v1/contacts", &app.admin_key).await;
        assert_unavailable(&reply, "a list during the outage");
        let reply = app.get("/v1/me", &app.sales_token).await;
        assert_unavailable(&reply, "a user's token during the outage");
    }
    let write = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Lost"})).await;
    assert_unavailable(&write, "a create during the outage");
    assert_unavailable(&app.get("/health/ready", "").await, "readiness during the outage");
    app.get("/health/live", "").await.expect(200);

    pg.start_again();
    let back = Instant::now();
    loop {
        let reply = app.get("/v1/contacts", &app.admin_key).await;
        if reply.status == 200 {
            break;
        }
        assert_eq!(reply.status, 503, "while reconnecting: {}", reply.text);
        assert!(back.elapsed() < Duration::from_secs(2), "still failing 2 s after the database came back");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // Every connection of the pool is sound again, and nobody is locked out.
    for _ in 0..20 {
        app.get("/v1/contacts", &app.admin_key).await.expect(200);
        app.get("/v1/me", &app.sales_token).await.expect(200);
    }
    app.get("/health/ready", "").await.expect(200);
    let list = app.get("/v1/contacts", &app.admin_key).await;
    let names: Vec<&str> =
        list.body["data"].as_array().unwrap().iter().filter_map(|c| c["first_name"].as_str()).collect();
    assert_eq!(names, ["Ada"], "the outage wrote nothing");
    app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Grace"})).await.expect(201);
}

#[actix_web::test]
async fn a_locked_sqlite_database_is_a_503_then_serves_again() {
    let app = TestApp::spawn_with(Backend::Sqlite, STRICT_LIMITS).await;
    let path = app.state.config.database_url.trim_start_matches("sqlite://").to_string();
    let mut other_process = diesel::SqliteConnection::establish(&path).unwrap();
    other_process.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let reply = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada"})).await;
    assert_unavailable(&reply, "a create while another process holds the lock");
    other_process.batch_execute("COMMIT").unwrap();
    app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada"})).await.expect(201);
    assert_eq!(app.count("contacts"), 1);
}

/// A tmpfs of a few MiB, mounted for the test (root only, as in CI) and unmounted after.
struct TinyDisk(tempfile::TempDir);

impl TinyDisk {
    fn mount(size: &str) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(TinyDisk(dir))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        // Lazily: the test's server thread may still hold the database open.
        let _ = std::process::Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

#[actix_web::test]
async fn a_full_disk_is_a_507_and_corrupts_nothing() {
    let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let Some(disk) = TinyDisk::mount("4m") else {
        // Mounting needs root: CI (and this project's machines) run as root, so there it runs.
        assert!(!root, "root could not mount a tmpfs");
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let url = format!("sqlite://{}", disk.0.path().join("crm.db").display());
    crm_core::db::DbConnection::open(&url).unwrap().migrate().unwrap();
    let app = TestApp::spawn_on(&url, &[]).await;
    let contact = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada"})).await;
    contact.expect(201);
    let contact = contact.body["id"].as_str().unwrap().to_string();
    let note = json!({"kind": "note", "body": "x".repeat(90_000), "contact_ids": [contact]});
    let mut created = 0;
    let full = loop {
        let reply = app.post("/v1/activities", &app.admin_key, note.clone()).await;
        match reply.status {
            201 => created += 1,
            _ => break reply,
        }
        assert!(created < 200, "4 MiB never filled up");
    };
    full.expect_problem(507, "insufficient_storage");
    // Reads go on, and what was acknowledged is all there is: nothing half-written, no corruption.
    app.get(&format!("/v1/contacts/{contact}"), &app.admin_key).await.expect(200);
    assert_eq!(app.count("activities"), created);
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let check: Check = diesel::sql_query("PRAGMA integrity_check").get_result(&mut *app.conn()).unwrap();
    assert_eq!(check.integrity_check, "ok");
}
