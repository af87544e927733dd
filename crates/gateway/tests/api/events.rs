//! The changes feed: order, filters, and never skipping an event when writers commit out of order.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crm_core::auth::Actor;
use crm_core::db::DbConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

use crate::both;
use crate::support::{Backend, TestApp};

both!(feed_pages_and_filters, concurrent_writers_never_lose_an_event);

fn system(app: &TestApp) -> Actor {
    crm_core::jobs::schedule::system_actor(&app.org_id)
}

async fn feed_pages_and_filters(app: TestApp) {
    for i in 0..3 {
        app.post(
            "/v1/users",
            &app.admin_key,
            json!({"email": format!("f{i}@acme.test"), "name": "F", "role": "sales"}),
        )
        .await
        .expect(201);
    }
    let all = app.get("/v1/events", &app.admin_key).await;
    all.expect(200);
    let seqs: Vec<i64> = all.body["data"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(all.body["next_after"], *seqs.last().unwrap());
    let first = &all.body["data"][0];
    assert!(first["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(first["actor"]["type"], "system");

    let users_only = app.get("/v1/events?types=user.*", &app.admin_key).await;
    assert!(
        users_only.body["data"].as_array().unwrap().iter().all(|e| e["type"].as_str().unwrap().starts_with("user."))
    );
    assert_eq!(users_only.body["data"].as_array().unwrap().len(), 4);
    let keys_only = app.get("/v1/events?types=api_key.created", &app.admin_key).await;
    assert_eq!(keys_only.body["data"].as_array().unwrap().len(), 1);

    let page = app.get("/v1/events?limit=2", &app.admin_key).await;
    assert_eq!(page.body["has_more"], true);
    let after = page.body["next_after"].as_i64().unwrap();
    let rest = app.get(&format!("/v1/events?after={after}"), &app.admin_key).await;
    assert_eq!(rest.body["data"].as_array().unwrap().len(), seqs.len() - 2);
    let end = rest.body["next_after"].as_i64().unwrap();
    let empty = app.get(&format!("/v1/events?after={end}"), &app.admin_key).await;
    assert_eq!(empty.body["data"], json!([]));
    assert_eq!(empty.body["next_after"], end);

    app.get("/v1/events?types=User.*", &app.admin_key).await.expect_problem(400, "invalid_types");
    app.get("/v1/events?after=-1", &app.admin_key).await.expect(400);
    app.get("/v1/events?limit=5000", &app.admin_key).await.expect(400);
    app.get("/v1/events?wait=31", &app.admin_key).await.expect(400);

    // Long poll: returns as soon as an event arrives.
    let started = std::time::Instant::now();
    let late_write = async {
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        app.post("/v1/users", &app.admin_key, json!({"email": "late@acme.test", "name": "Late", "role": "sales"})).await
    };
    let (waited, _) =
        futures_util::future::join(app.get(&format!("/v1/events?after={end}&wait=10"), &app.admin_key), late_write)
            .await;
    assert_eq!(waited.body["data"][0]["type"], "user.created");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Writers on several threads, transactions of varying length; a reader follows the feed the
/// whole time. It must see every committed event exactly once, in increasing `seq`.
async fn concurrent_writers_never_lose_an_event(app: TestApp) {
    const WRITERS: usize = 4;
    const PER_WRITER: usize = 25;
    let done = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for w in 0..WRITERS {
        let (db, actor) = (app.state.db.clone(), system(&app));
        handles.push(std::thread::spawn(move || {
            for i in 0..PER_WRITER {
                let mut pooled = db.conn().unwrap();
                let conn: &mut DbConnection = &mut pooled;
                conn.transaction::<_, crm_core::ApiError, _>(|c| {
                    crm_core::events::model::emit(c, &actor, "test.written", json!({"writer": w, "i": i}), None)?;
                    std::thread::sleep(Duration::from_millis(((w * 7 + i * 3) % 6) as u64));
                    Ok(())
                })
                .unwrap();
            }
        }));
    }
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            for h in handles {
                h.join().unwrap();
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut seen = Vec::new();
    let mut after = 0i64;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let page = app.get(&format!("/v1/events?types=test.*&after={after}&limit=7"), &app.admin_key).await;
        page.expect(200);
        for event in page.body["data"].as_array().unwrap() {
            let seq = event["seq"].as_i64().unwrap();
            assert!(seq > after);
            after = seq;
            seen.push(event["id"].as_str().unwrap().to_string());
        }
        if finished && page.body["has_more"] == false && page.body["data"].as_array().unwrap().is_empty() {
            break;
        }
    }
    watcher.join().unwrap();
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an event was delivered twice");
    assert_eq!(seen.len(), WRITERS * PER_WRITER, "the reader missed events");
}

/// The case a plain auto-increment gets wrong: a transaction that took its number first commits last.
#[actix_web::test]
async fn late_committer_is_not_skipped_postgres() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let actor = system(&app);
    let url = database_url(&app);
    let mut slow = DbConnection::open(&url).unwrap();
    let mut fast = DbConnection::open(&url).unwrap();
    slow.batch_execute("BEGIN").unwrap();
    crm_core::events::model::emit(&mut slow, &actor, "test.slow", json!({}), None).unwrap();
    fast.batch_execute("BEGIN").unwrap();
    crm_core::events::model::emit(&mut fast, &actor, "test.fast", json!({}), None).unwrap();
    fast.batch_execute("COMMIT").unwrap();

    let first = app.get("/v1/events?types=test.*", &app.admin_key).await;
    let data = first.body["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["type"], "test.fast");
    let after = first.body["next_after"].as_i64().unwrap();

    slow.batch_execute("COMMIT").unwrap();
    let second = app.get(&format!("/v1/events?types=test.*&after={after}"), &app.admin_key).await;
    let data = second.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "the late committer was skipped: {}", second.text);
    assert_eq!(data[0]["type"], "test.slow");
    assert!(data[0]["seq"].as_i64().unwrap() > after);
}

/// A rolled-back change leaves no event.
#[actix_web::test]
async fn rolled_back_change_has_no_event() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let actor = system(&app);
        let before = app.count("events");
        let mut pooled = app.conn();
        let conn: &mut DbConnection = &mut pooled;
        let result = conn.transaction::<(), crm_core::ApiError, _>(|c| {
            crm_core::events::model::emit(c, &actor, "test.doomed", json!({}), None)?;
            Err(crm_core::ApiError::conflict("boom", "rolled back"))
        });
        assert!(result.is_err());
        drop(pooled);
        assert_eq!(app.count("events"), before);
    }
}

fn database_url(app: &TestApp) -> String {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut pooled = app.conn();
    let DbConnection::Postgres(c) = &mut *pooled else { panic!("postgres only") };
    let name: Name = diesel::sql_query("SELECT current_database() AS name").get_result(c).unwrap();
    format!("{}/{}", crate::support::pg_server_url(), name.name)
}
