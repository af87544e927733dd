//! The job queue: one table for the background work of every domain.
//!
//! A domain enqueues a job inside its own transaction ([`model::enqueue`]) and registers a
//! handler for the job's `kind` in a [`Registry`] (crm-core knows no domain). Workers
//! ([`worker::run_workers`], started by `crm serve` and `crm worker`) claim due jobs with a
//! lease, renew it with a heartbeat while the handler runs, and retry failures with
//! exponential backoff up to the job's `max_attempts`. A job whose worker died comes back
//! when its lease expires. Handlers run off the async executor and write through
//! [`JobContext::write`] in short transactions, fencing each one with
//! [`JobContext::checkpoint`], so a worker that lost its lease cannot commit anything more.

pub mod model;
pub mod schedule;
pub mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::auth::Actor;
use crate::db::{Db, DbConnection};
use crate::error::{ApiError, ApiResult};

pub use model::Job;
pub use schedule::{Schedule, run_scheduler};
pub use worker::{WorkerSettings, run_workers};

/// Why a handler stopped without finishing.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (a database hiccup, a busy resource).
    #[error("{0}")]
    Retry(String),
    /// Will never work (bad payload, a missing file): the job fails at once.
    #[error("{0}")]
    Permanent(String),
    /// Another worker holds the job now: stop and write nothing more.
    #[error("the lease on this job was lost")]
    LeaseLost,
}

impl From<ApiError> for JobError {
    fn from(e: ApiError) -> Self {
        if e.code == model::LEASE_LOST { JobError::LeaseLost } else { JobError::Retry(e.detail) }
    }
}

pub type JobResult = Result<(), JobError>;

/// A handler runs one job to the end, blocking (it is called on a blocking thread).
pub type Handler = Arc<dyn Fn(&JobContext) -> JobResult + Send + Sync>;

/// Handlers by job kind; each domain registers its own (`crm_contacts::register_jobs`).
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    pub fn register(&mut self, kind: &str, handler: impl Fn(&JobContext) -> JobResult + Send + Sync + 'static) {
        self.handlers.insert(kind.to_string(), Arc::new(handler));
    }

    pub fn get(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).cloned()
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort();
        kinds
    }
}

/// What a handler gets: the job, the caller it acts for, and fenced access to the database.
pub struct JobContext {
    pub db: Db,
    /// The application's state: its settings, keys and registered domains.
    pub state: actix_web::web::Data<crate::state::AppState>,
    pub job: Job,
    /// Who enqueued the job: audit rows and events name them.
    pub actor: Actor,
    pub payload: Value,
    /// The progress saved by the last checkpoint (a resumed job continues from it).
    pub progress: Value,
    lease: model::Lease,
    lost: Arc<AtomicBool>,
}

impl JobContext {
    pub fn id(&self) -> &str {
        &self.job.id
    }

    /// Whether the heartbeat found the job taken by another worker.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// One write transaction (a short one: on SQLite every other writer waits for it).
    pub fn write<T>(&self, f: impl FnOnce(&mut DbConnection) -> ApiResult<T>) -> Result<T, JobError> {
        if self.is_lost() {
            return Err(JobError::LeaseLost);
        }
        self.db.write_now(f).map_err(JobError::from)
    }

    pub fn read<T>(&self, f: impl FnOnce(&mut DbConnection) -> ApiResult<T>) -> Result<T, JobError> {
        self.db.read_now(f).map_err(JobError::from)
    }

    /// Saves the progress inside the caller's transaction, fenced by the lease: when another
    /// worker took the job, this fails and the whole transaction rolls back.
    pub fn checkpoint(&self, conn: &mut DbConnection, progress: &Value) -> ApiResult<()> {
        model::set_progress(conn, &self.lease, progress)
    }

    /// Ends the job as succeeded inside the caller's transaction (with its last writes and
    /// events), so a crash can never redo a finished job.
    pub fn complete(&self, conn: &mut DbConnection, progress: &Value) -> ApiResult<()> {
        if model::finish(conn, &self.lease, model::SUCCEEDED, Some(progress), None)? {
            Ok(())
        } else {
            Err(model::lease_lost())
        }
    }

    /// Ends the job as failed (no retry) inside the caller's transaction.
    pub fn fail(&self, conn: &mut DbConnection, progress: &Value, error: &str) -> ApiResult<()> {
        if model::finish(conn, &self.lease, model::FAILED, Some(progress), Some(error))? {
            Ok(())
        } else {
            Err(model::lease_lost())
        }
    }
}
