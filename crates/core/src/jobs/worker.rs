//! The worker loop: claim a due job, run its handler on a blocking thread while a heartbeat
//! renews the lease, then record the outcome (succeeded, retry later, or failed).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::web;

use crate::config::Config;
use crate::db::Db;
use crate::jobs::model::{self, ActorRecord};
use crate::jobs::{JobContext, JobError, Registry};
use crate::state::AppState;

/// How this process runs jobs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Names this process in `lease_owner` (unique per process).
    pub owner: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How often an idle worker looks for work.
    pub poll: Duration,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// The first retry delay, doubled on each attempt (capped at one hour).
    pub retry_base: Duration,
}

impl WorkerSettings {
    pub fn from_config(config: &Config) -> WorkerSettings {
        WorkerSettings {
            owner: new_owner(),
            concurrency: config.job_workers,
            poll: Duration::from_millis(config.job_poll_ms),
            lease: Duration::from_secs(config.job_lease_seconds),
            retry_base: Duration::from_millis(config.job_retry_base_ms),
        }
    }

    /// The delay before attempt `attempts + 1`.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.clamp(1, 20) as u32 - 1);
        self.retry_base.saturating_mul(factor).min(Duration::from_secs(3600))
    }
}

/// `<host>-<pid>-<random>`: unique per process, readable in the table.
pub fn new_owner() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "crm".into());
    let id = crate::id::new_id("w");
    format!("{host}-{}-{}", std::process::id(), &id[id.len() - 6..])
}

fn later(d: Duration) -> chrono::NaiveDateTime {
    crate::time::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(60))
}

/// Runs `settings.concurrency` worker loops until the future is dropped.
pub async fn run_workers(state: web::Data<AppState>, registry: Arc<Registry>, settings: WorkerSettings) {
    if settings.concurrency == 0 || registry.kinds().is_empty() {
        return;
    }
    log::info!("job workers: {} as {} for {:?}", settings.concurrency, settings.owner, registry.kinds());
    let mut loops = Vec::new();
    for _ in 0..settings.concurrency {
        loops.push(actix_web::rt::spawn(worker_loop(state.clone(), registry.clone(), settings.clone())));
    }
    // Dropping this future (an aborted task) stops the loops too.
    let _stop = AbortOnDrop(loops);
    std::future::pending::<()>().await;
}

struct AbortOnDrop(Vec<actix_web::rt::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

async fn worker_loop(state: web::Data<AppState>, registry: Arc<Registry>, settings: WorkerSettings) {
    let db = state.db.clone();
    let kinds = registry.kinds();
    loop {
        match claim_next(&db, &kinds, &settings).await {
            Ok(Some(job)) => run_one(&state, &registry, &settings, job).await,
            Ok(None) => actix_web::rt::time::sleep(settings.poll).await,
            Err(e) => {
                log::warn!("job claim: {e}");
                actix_web::rt::time::sleep(settings.poll.max(Duration::from_secs(1))).await;
            }
        }
    }
}

/// Claims the oldest claimable job, if any.
pub async fn claim_next(
    db: &Db,
    kinds: &[String],
    settings: &WorkerSettings,
) -> crate::error::ApiResult<Option<model::Job>> {
    // Look on a read connection first: an idle poll never takes the (SQLite: only) writer.
    let kinds = kinds.to_vec();
    let candidates = db.read(move |conn| model::claimable(conn, &kinds, crate::time::now(), 5)).await?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let (owner, lease) = (settings.owner.clone(), settings.lease);
    db.write(move |conn| {
        let now = crate::time::now();
        for (org_id, id) in candidates {
            let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
            let held = model::Lease { org_id, id, owner: owner.clone() };
            if model::try_claim(conn, &held, now, until)? {
                return model::held(conn, &held);
            }
        }
        Ok(None)
    })
    .await
}

async fn run_one(state: &web::Data<AppState>, registry: &Registry, settings: &WorkerSettings, job: model::Job) {
    let db = &state.db;
    let lease = model::Lease { org_id: job.org_id.clone(), id: job.id.clone(), owner: settings.owner.clone() };
    let id = &lease.id;
    if job.attempts > job.max_attempts {
        let error = format!("gave up after {} attempts (the job's worker stopped each time)", job.max_attempts);
        finish(db, &lease, model::FAILED, Some(error)).await;
        return;
    }
    let Some(handler) = registry.get(&job.kind) else {
        finish(db, &lease, model::FAILED, Some(format!("no handler for {}", job.kind))).await;
        return;
    };
    let actor = match serde_json::from_str::<ActorRecord>(&job.actor) {
        Ok(record) => record.into(),
        Err(e) => {
            finish(db, &lease, model::FAILED, Some(format!("unreadable actor: {e}"))).await;
            return;
        }
    };
    let lost = Arc::new(AtomicBool::new(false));
    let attempts = job.attempts;
    let ctx = JobContext {
        db: db.clone(),
        state: state.clone(),
        payload: job.payload_value(),
        progress: job.progress_value(),
        actor,
        job,
        lease: lease.clone(),
        lost: lost.clone(),
    };
    let heartbeat = actix_web::rt::spawn(heartbeat(db.clone(), lease.clone(), settings.lease, lost));
    let outcome = actix_web::web::block(move || handler(&ctx)).await;
    heartbeat.abort();
    match outcome {
        Ok(Ok(())) => finish(db, &lease, model::SUCCEEDED, None).await,
        Ok(Err(JobError::LeaseLost)) => log::warn!("job {id}: lease lost, another worker continues it"),
        Ok(Err(JobError::Permanent(error))) => finish(db, &lease, model::FAILED, Some(error)).await,
        Ok(Err(JobError::Retry(error))) => retry(db, settings, &lease, attempts, error).await,
        Err(e) => retry(db, settings, &lease, attempts, format!("the handler stopped: {e}")).await,
    }
}

/// Renews the lease every third of its length; flags `lost` when the job is no longer ours.
async fn heartbeat(db: Db, held: model::Lease, lease: Duration, lost: Arc<AtomicBool>) {
    loop {
        actix_web::rt::time::sleep(lease / 3).await;
        let held = held.clone();
        match db.write(move |conn| model::heartbeat(conn, &held, later(lease))).await {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::Relaxed);
                return;
            }
            Err(e) => log::warn!("job heartbeat: {e}"),
        }
    }
}

/// Records the end of a job this worker holds (a no-op when the handler already completed it).
async fn finish(db: &Db, lease: &model::Lease, status: &'static str, error: Option<String>) {
    if let Some(error) = &error {
        log::warn!("job {} {status}: {error}", lease.id);
    }
    let lease = lease.clone();
    if let Err(e) = db.write(move |conn| model::finish(conn, &lease, status, None, error.as_deref())).await {
        log::warn!("job finish: {e}");
    }
}

async fn retry(db: &Db, settings: &WorkerSettings, lease: &model::Lease, attempts: i32, error: String) {
    let max = {
        let lease = lease.clone();
        db.read(move |conn| Ok(model::held(conn, &lease)?.map(|j| j.max_attempts).unwrap_or(1))).await.unwrap_or(1)
    };
    if attempts >= max {
        finish(db, lease, model::FAILED, Some(error)).await;
        return;
    }
    log::info!("job {}: attempt {attempts} failed ({error}), retrying", lease.id);
    let run_after = later(settings.backoff(attempts));
    let lease = lease.clone();
    if let Err(e) = db.write(move |conn| model::retry_later(conn, &lease, run_after, &error)).await {
        log::warn!("job retry: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let settings = WorkerSettings {
            owner: "t".into(),
            concurrency: 1,
            poll: Duration::from_millis(10),
            lease: Duration::from_secs(10),
            retry_base: Duration::from_secs(5),
        };
        assert_eq!(settings.backoff(1), Duration::from_secs(5));
        assert_eq!(settings.backoff(3), Duration::from_secs(20));
        assert_eq!(settings.backoff(30), Duration::from_secs(3600));
    }
}
