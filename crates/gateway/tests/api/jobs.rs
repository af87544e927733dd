//! The job queue itself: leases, retries, and two workers sharing one database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crm_core::auth::Actor;
use crm_core::jobs::{JobError, Registry, WorkerSettings, model, run_workers};
use crm_core::schema::jobs;
use diesel::prelude::*;
use serde_json::json;

use crate::both;
use crate::support::TestApp;

both!(two_workers_never_share_a_job, expired_lease_comes_back_and_failures_retry, heartbeat_keeps_a_long_job);

fn system(app: &TestApp) -> Actor {
    crm_core::jobs::schedule::system_actor(&app.org_id)
}

fn settings(owner: &str) -> WorkerSettings {
    WorkerSettings {
        owner: owner.into(),
        concurrency: 3,
        poll: Duration::from_millis(10),
        lease: Duration::from_secs(5),
        retry_base: Duration::from_millis(20),
    }
}

fn statuses(app: &TestApp, kind: &str) -> Vec<(String, String, i32)> {
    jobs::table
        .filter(jobs::kind.eq(kind))
        .select((jobs::id, jobs::status, jobs::attempts))
        .load(&mut *app.conn())
        .unwrap()
}

async fn until(
    app: &TestApp,
    kind: &str,
    done: impl Fn(&[(String, String, i32)]) -> bool,
) -> Vec<(String, String, i32)> {
    let started = Instant::now();
    loop {
        let rows = statuses(app, kind);
        if done(&rows) {
            return rows;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "jobs did not finish: {rows:?}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn two_workers_never_share_a_job(app: TestApp) {
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let running: Arc<Mutex<Vec<String>>> = Arc::default();
    let overlaps: Arc<Mutex<usize>> = Arc::default();
    let mut registry = Registry::default();
    {
        let (runs, running, overlaps) = (runs.clone(), running.clone(), overlaps.clone());
        registry.register("test.count", move |ctx| {
            let id = ctx.id().to_string();
            {
                let mut now = running.lock().unwrap();
                if now.contains(&id) {
                    *overlaps.lock().unwrap() += 1;
                }
                now.push(id.clone());
            }
            *runs.lock().unwrap().entry(id.clone()).or_default() += 1;
            std::thread::sleep(Duration::from_millis(15));
            running.lock().unwrap().retain(|r| r != &id);
            Ok(())
        });
    }
    let actor = system(&app);
    let mut conn = app.conn();
    for i in 0..30 {
        model::enqueue(&mut conn, &actor, "test.count", &json!({"n": i}), &json!({}), 3).unwrap();
    }
    drop(conn);
    let registry = Arc::new(registry);
    let a = actix_web::rt::spawn(run_workers(app.state.clone(), registry.clone(), settings("worker-a")));
    let b = actix_web::rt::spawn(run_workers(app.state.clone(), registry.clone(), settings("worker-b")));
    let rows = until(&app, "test.count", |rows| rows.iter().all(|r| r.1 == "succeeded")).await;
    a.abort();
    b.abort();
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r.2 == 1), "{rows:?}");
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 30);
    assert!(runs.values().all(|n| *n == 1), "{runs:?}");
    assert_eq!(*overlaps.lock().unwrap(), 0);
}

async fn expired_lease_comes_back_and_failures_retry(app: TestApp) {
    let mut registry = Registry::default();
    registry.register(
        "test.flaky",
        |ctx| {
            if ctx.job.attempts < 2 { Err(JobError::Retry("not yet".into())) } else { Ok(()) }
        },
    );
    registry.register("test.broken", |_| Err(JobError::Permanent("bad payload".into())));
    registry.register("test.progress", |ctx| {
        let done = ctx.progress["done"].as_i64().unwrap_or(0);
        ctx.write(|conn| ctx.checkpoint(conn, &json!({"done": done + 1})))?;
        Ok(())
    });
    let actor = system(&app);
    let mut conn = app.conn();
    let flaky = model::enqueue(&mut conn, &actor, "test.flaky", &json!({}), &json!({}), 5).unwrap();
    let broken = model::enqueue(&mut conn, &actor, "test.broken", &json!({}), &json!({}), 5).unwrap();
    let orphan = model::enqueue(&mut conn, &actor, "test.progress", &json!({}), &json!({"done": 41}), 5).unwrap();
    // The orphan was claimed by a worker that died: running, its lease run out.
    let past = crm_core::time::now() - chrono::Duration::seconds(5);
    diesel::update(jobs::table.filter(jobs::id.eq(&orphan)))
        .set((
            jobs::status.eq("running"),
            jobs::lease_owner.eq("dead"),
            jobs::lease_until.eq(past),
            jobs::attempts.eq(1),
        ))
        .execute(&mut conn)
        .unwrap();
    // A live lease is left alone.
    let held = model::enqueue(&mut conn, &actor, "test.progress", &json!({}), &json!({}), 5).unwrap();
    let future = crm_core::time::now() + chrono::Duration::seconds(600);
    diesel::update(jobs::table.filter(jobs::id.eq(&held)))
        .set((jobs::status.eq("running"), jobs::lease_owner.eq("alive"), jobs::lease_until.eq(future)))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let worker = actix_web::rt::spawn(run_workers(app.state.clone(), Arc::new(registry), settings("w")));
    let find = |id: &str| model::find_any(&mut app.conn(), &actor.scope(), id).unwrap().unwrap();
    let started = Instant::now();
    while [&flaky, &broken, &orphan].iter().any(|id| !["succeeded", "failed"].contains(&find(id).status.as_str())) {
        assert!(started.elapsed() < Duration::from_secs(30), "jobs did not finish");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    worker.abort();
    let (flaky, broken, orphan, held) = (find(&flaky), find(&broken), find(&orphan), find(&held));
    assert_eq!((flaky.status.as_str(), flaky.attempts), ("succeeded", 2));
    assert_eq!(flaky.last_error, None, "a success clears the last error");
    assert_eq!((broken.status.as_str(), broken.attempts), ("failed", 1));
    assert_eq!(broken.last_error.as_deref(), Some("bad payload"));
    assert_eq!((orphan.status.as_str(), orphan.attempts), ("succeeded", 2));
    assert_eq!(orphan.progress_value(), json!({"done": 42}));
    assert_eq!(orphan.lease_owner, None);
    assert_eq!((held.status.as_str(), held.lease_owner.as_deref()), ("running", Some("alive")));
}

/// A job running for several lease lengths keeps its lease through the heartbeat: the other
/// worker never takes it over.
async fn heartbeat_keeps_a_long_job(app: TestApp) {
    let runs: Arc<Mutex<usize>> = Arc::default();
    let mut registry = Registry::default();
    {
        let runs = runs.clone();
        registry.register("test.long", move |ctx| {
            *runs.lock().unwrap() += 1;
            for step in 0..8 {
                std::thread::sleep(Duration::from_millis(500));
                ctx.write(|conn| ctx.checkpoint(conn, &json!({"step": step})))?;
            }
            Ok(())
        });
    }
    let mut conn = app.conn();
    let id = model::enqueue(&mut conn, &system(&app), "test.long", &json!({}), &json!({}), 3).unwrap();
    drop(conn);
    let short = |owner: &str| WorkerSettings { lease: Duration::from_millis(1500), ..settings(owner) };
    let registry = Arc::new(registry);
    let a = actix_web::rt::spawn(run_workers(app.state.clone(), registry.clone(), short("worker-a")));
    let b = actix_web::rt::spawn(run_workers(app.state.clone(), registry.clone(), short("worker-b")));
    let rows = until(&app, "test.long", |rows| rows.iter().all(|r| r.1 == "succeeded")).await;
    a.abort();
    b.abort();
    assert_eq!(rows, vec![(id, "succeeded".to_string(), 1)]);
    assert_eq!(*runs.lock().unwrap(), 1);
}

both!(schedules_start_each_run_once, the_trash_purge_runs_as_a_scheduled_job);

#[test]
fn every_schedule_has_a_handler() {
    let registry = crm_core::registry::job_registry(crm_gateway::DOMAINS);
    let schedules = crm_core::registry::schedules(crm_gateway::DOMAINS);
    assert!(schedules.iter().any(|s| s.kind == crm_contacts::privacy::purge::PURGE_KIND));
    for schedule in schedules {
        assert!(registry.get(schedule.kind).is_some(), "{} has no handler", schedule.kind);
    }
}

fn enqueue_due(app: &TestApp, schedules: &[crm_core::jobs::Schedule]) -> Result<usize, crm_core::ApiError> {
    app.state.db.write_now(|conn| crm_core::jobs::schedule::enqueue_due(conn, schedules))
}

/// Several processes' schedulers at once start one run: one job per organization.
async fn schedules_start_each_run_once(app: TestApp) {
    let schedules = [crm_core::jobs::Schedule { kind: "test.tick", every: Duration::from_secs(3600) }];
    let organizations = crm_core::organizations::count(&mut app.conn()).unwrap() as usize;
    let app = Arc::new(app);
    let schedulers: Vec<_> = (0..4)
        .map(|_| {
            let app = app.clone();
            std::thread::spawn(move || enqueue_due(&app, &schedules))
        })
        .collect();
    // A scheduler that lost the race to create the schedule fails this tick and retries the next.
    let enqueued: usize = schedulers.into_iter().map(|s| s.join().unwrap().unwrap_or(0)).sum();
    assert_eq!(enqueued, organizations);
    assert_eq!(statuses(&app, "test.tick").len(), organizations);
    assert_eq!(enqueue_due(&app, &schedules).unwrap(), 0, "the same run twice");
    // Once due again, one more run.
    use crm_core::schema::job_schedules;
    diesel::update(job_schedules::table.filter(job_schedules::kind.eq("test.tick")))
        .set(job_schedules::next_run_at.eq(crm_core::time::now() - chrono::Duration::seconds(1)))
        .execute(&mut *app.conn())
        .unwrap();
    assert_eq!(enqueue_due(&app, &schedules).unwrap(), organizations);
    assert_eq!(statuses(&app, "test.tick").len(), 2 * organizations);
}

/// The hourly trash purge is a job of each organization, run by the workers.
async fn the_trash_purge_runs_as_a_scheduled_job(app: TestApp) {
    let contact = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Old"})).await;
    let id = contact.body["id"].as_str().unwrap().to_string();
    let deleted = app.send(app.client.delete(app.url(&format!("/v1/contacts/{id}"))), &app.admin_key).await;
    assert_eq!(deleted.status, 204);
    use crm_core::schema::{contacts, job_schedules};
    let long_ago = crm_core::time::now()
        - chrono::Duration::days(
            crm_contacts::settings::ContactsSettings::of(&app.state.config).unwrap().trash_retention_days + 1,
        );
    diesel::update(contacts::table.filter(contacts::id.eq(&id)))
        .set(contacts::deleted_at.eq(long_ago))
        .execute(&mut *app.conn())
        .unwrap();
    // Make the schedule due now, whatever the app's own scheduler did at start: once that has
    // written the schedules, or its first tick could race ours to create them.
    let schedules = crm_core::registry::schedules(crm_gateway::DOMAINS);
    let started = std::time::Instant::now();
    while job_schedules::table.count().get_result::<i64>(&mut *app.conn()).unwrap() < schedules.len() as i64 {
        assert!(started.elapsed() < Duration::from_secs(10), "the app's scheduler never wrote its schedules");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    diesel::update(job_schedules::table)
        .set(job_schedules::next_run_at.eq(long_ago))
        .execute(&mut *app.conn())
        .unwrap();
    enqueue_due(&app, &schedules).unwrap();
    let kind = crm_contacts::privacy::purge::PURGE_KIND;
    until(&app, kind, |rows| !rows.is_empty() && rows.iter().all(|(_, status, _)| status == "succeeded")).await;
    let left: i64 = contacts::table.filter(contacts::id.eq(&id)).count().get_result(&mut *app.conn()).unwrap();
    assert_eq!(left, 0, "the purge job left the contact");
    assert!(app.event_types().contains(&"contact.purged".to_string()));
}
