//! Periodic work as jobs: each domain declares its [`Schedule`]s, and every process that runs
//! workers also runs [`run_scheduler`], which starts each due run once across all processes
//! (claimed by moving `job_schedules.next_run_at` forward in the transaction that enqueues it)
//! as one job per organization, so a run is retried, leased and visible like any other job.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use crate::auth::{Actor, Principal, Role};
use crate::db::{Db, DbConnection};
use crate::error::ApiResult;
use crate::schema::{job_schedules, organizations};

/// A job kind that runs every `every`, for every organization.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub kind: &'static str,
    pub every: Duration,
}

/// Attempts a scheduled run gets before it waits for the next one.
const MAX_ATTEMPTS: i32 = 3;

/// How often a process looks for due schedules.
const TICK: Duration = Duration::from_secs(30);

/// The actor of scheduled jobs: the platform itself, on behalf of the organization.
pub fn system_actor(org_id: &str) -> Actor {
    Actor {
        org_id: org_id.to_string(),
        user_id: String::new(),
        principal: Principal::System,
        role: Role::Admin,
        scopes: None,
        request_id: String::new(),
    }
}

/// Enqueues the due runs of `schedules` (one job per organization for each); returns the jobs
/// enqueued. Call it inside one write transaction: the claim and the jobs commit together.
pub fn enqueue_due(conn: &mut DbConnection, schedules: &[Schedule]) -> ApiResult<usize> {
    let now = crate::time::now();
    let mut enqueued = 0;
    for schedule in schedules {
        let next = now + chrono::Duration::from_std(schedule.every).unwrap_or(chrono::Duration::hours(1));
        let known: i64 = job_schedules::table.filter(job_schedules::kind.eq(schedule.kind)).count().get_result(conn)?;
        if known == 0 {
            // A new schedule runs at once. Two processes inserting it together: one fails on the
            // key and retries on its next tick, when the row is there.
            diesel::insert_into(job_schedules::table)
                .values((job_schedules::kind.eq(schedule.kind), job_schedules::next_run_at.eq(now)))
                .execute(conn)?;
        }
        // Under READ COMMITTED a second claimer waits for the first's row lock, then finds
        // next_run_at in the future and claims nothing.
        let claimed = diesel::update(
            job_schedules::table
                .filter(job_schedules::kind.eq(schedule.kind))
                .filter(job_schedules::next_run_at.le(now)),
        )
        .set(job_schedules::next_run_at.eq(next))
        .execute(conn)?;
        if claimed == 0 {
            continue;
        }
        let orgs: Vec<String> = organizations::table.select(organizations::id).order(organizations::id).load(conn)?;
        for org in orgs {
            super::model::enqueue(conn, &system_actor(&org), schedule.kind, &json!({}), &json!({}), MAX_ATTEMPTS)?;
            enqueued += 1;
        }
    }
    Ok(enqueued)
}

/// Starts due runs every 30 seconds until the future is dropped.
pub async fn run_scheduler(db: Db, schedules: Vec<Schedule>) {
    if schedules.is_empty() {
        return;
    }
    loop {
        let due = schedules.clone();
        match db.write(move |conn| enqueue_due(conn, &due)).await {
            Ok(0) => {}
            Ok(n) => log::info!("scheduler: enqueued {n} periodic jobs"),
            Err(e) => log::warn!("scheduler: {e}"),
        }
        actix_web::rt::time::sleep(TICK).await;
    }
}
