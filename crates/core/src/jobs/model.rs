//! Job rows and their queries: enqueue in the caller's transaction, claim with a lease,
//! renew the lease, record progress and the outcome, fenced by the lease owner.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{Actor, Principal, Role};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::http::{ListPlan, SortField, SortKind, Sorts};
use crate::schema::jobs;
use crate::scope::Scope;

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

/// The code of the error a fenced write returns when this worker no longer holds the lease.
pub const LEASE_LOST: &str = "job_lease_lost";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub status: String,
    pub payload: String,
    pub progress: String,
    pub actor: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

impl Job {
    pub fn payload_value(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }

    pub fn progress_value(&self) -> Value {
        serde_json::from_str(&self.progress).unwrap_or(Value::Null)
    }
}

/// Who enqueued a job, kept with it so the job acts as them (audit rows, events, permissions).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActorRecord {
    pub org_id: String,
    pub user_id: String,
    /// `user`, `api_key` or `system`.
    pub principal_type: String,
    pub principal_id: String,
    pub role: Role,
    pub scopes: Option<Vec<String>>,
    pub request_id: String,
}

impl From<&Actor> for ActorRecord {
    fn from(actor: &Actor) -> Self {
        ActorRecord {
            org_id: actor.org_id.clone(),
            user_id: actor.user_id.clone(),
            principal_type: actor.actor_type().to_string(),
            principal_id: actor.principal_id().to_string(),
            role: actor.role,
            scopes: actor.scopes.clone(),
            request_id: actor.request_id.clone(),
        }
    }
}

impl From<ActorRecord> for Actor {
    fn from(r: ActorRecord) -> Self {
        let principal = match r.principal_type.as_str() {
            "user" => Principal::User(r.principal_id),
            "api_key" => Principal::ApiKey(r.principal_id),
            _ => Principal::System,
        };
        Actor {
            org_id: r.org_id,
            user_id: r.user_id,
            principal,
            role: r.role,
            scopes: r.scopes,
            request_id: r.request_id,
        }
    }
}

/// Adds a pending job on the caller's connection: it exists only if the caller's transaction commits.
pub fn enqueue(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: &str,
    payload: &Value,
    progress: &Value,
    max_attempts: i32,
) -> ApiResult<String> {
    let (id, row) = enqueued(actor, kind, payload, progress, max_attempts)?;
    crate::sql::Statement::new(row).execute(conn)?;
    Ok(id)
}

/// The `INSERT` of [`enqueue`], for a statement that writes more (a creation's, see
/// [`crate::write::Planned`]), and the job's id.
pub fn enqueued(
    actor: &Actor,
    kind: &str,
    payload: &Value,
    progress: &Value,
    max_attempts: i32,
) -> ApiResult<(String, Vec<crate::sql::Piece>)> {
    use crate::sql::Piece;
    let id = crate::id::new_id("job");
    let now = crate::time::now();
    let row = crate::sql::insert_row(
        "jobs",
        vec![
            ("id", Piece::text(&id)),
            ("org_id", Piece::text(&actor.org_id)),
            ("kind", Piece::text(kind)),
            ("status", Piece::text(PENDING)),
            ("payload", Piece::Text(payload.to_string())),
            ("progress", Piece::Text(progress.to_string())),
            ("actor", Piece::Text(serde_json::to_string(&ActorRecord::from(actor))?)),
            ("attempts", Piece::BigInt(0)),
            ("max_attempts", Piece::BigInt(i64::from(max_attempts.max(1)))),
            ("run_after", Piece::Time(now)),
            ("created_at", Piece::Time(now)),
            ("updated_at", Piece::Time(now)),
        ],
    );
    Ok((id, row))
}

/// A job of the organization, of one of these kinds.
pub fn find(conn: &mut DbConnection, scope: &Scope, id: &str, kinds: &[&str]) -> ApiResult<Option<Job>> {
    let org_id = scope.org_id();
    Ok(jobs::table
        .filter(jobs::org_id.eq(org_id))
        .filter(jobs::id.eq(id))
        .filter(jobs::kind.eq_any(kinds))
        .select(Job::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces the progress of a job that no worker holds (a finished one), e.g. to link a follow-up job.
pub fn annotate(conn: &mut DbConnection, scope: &Scope, id: &str, progress: &Value) -> ApiResult<()> {
    let org_id = scope.org_id();
    diesel::update(jobs::table.filter(jobs::org_id.eq(org_id)).filter(jobs::id.eq(id)))
        .set((jobs::progress.eq(progress.to_string()), jobs::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    Ok(())
}

/// What lists of jobs (imports) sort by: newest first.
pub static SORTS: Sorts<Job> = Sorts {
    default: "-created_at",
    id_column: "jobs.id",
    id: |j| &j.id,
    custom: |_| "",
    fields: &[SortField {
        name: "created_at",
        column: "jobs.created_at",
        kind: SortKind::Time,
        nullable: false,
        value: |j| Some(crate::time::format(&j.created_at)),
    }],
};

/// A page of the organization's jobs of one kind.
pub fn list(conn: &mut DbConnection, scope: &Scope, kind: &str, plan: &ListPlan) -> ApiResult<Vec<Job>> {
    let org_id = scope.org_id();
    let mut query =
        jobs::table.filter(jobs::org_id.eq(org_id)).filter(jobs::kind.eq(kind)).select(Job::as_select()).into_boxed();
    let (order, after) = SORTS.keyset::<jobs::table>(plan)?;
    if let Some(after) = after {
        query = query.filter(after);
    }
    Ok(query.order(order).limit(plan.limit + 1).load(conn)?)
}

/// A job a worker holds: whose it is, which, and the worker's lease owner name. Every write of
/// a running job is fenced by it.
#[derive(Debug, Clone)]
pub struct Lease {
    pub org_id: String,
    pub id: String,
    pub owner: String,
}

/// Jobs of these kinds that are due, or whose lease has expired, oldest first: (org_id, id).
pub fn claimable(
    conn: &mut DbConnection,
    kinds: &[String],
    now: NaiveDateTime,
    limit: i64,
) -> ApiResult<Vec<(String, String)>> {
    Ok(jobs::table
        .filter(jobs::kind.eq_any(kinds))
        .filter(
            jobs::status
                .eq(PENDING)
                .and(jobs::run_after.le(now))
                .or(jobs::status.eq(RUNNING).and(jobs::lease_until.lt(now))),
        )
        .order(jobs::run_after.asc())
        .limit(limit)
        .select((jobs::org_id, jobs::id))
        .load(conn)?)
}

/// Takes the lease of a job if it is still claimable: one row changed means this worker has it.
///
/// The condition is re-checked by the UPDATE itself (on PostgreSQL, after waiting for any
/// concurrent claimer's row lock; SQLite has one writer), so two workers never both win.
pub fn try_claim(
    conn: &mut DbConnection,
    lease: &Lease,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> ApiResult<bool> {
    let changed = diesel::update(
        jobs::table.filter(jobs::org_id.eq(&lease.org_id)).filter(jobs::id.eq(&lease.id)).filter(
            jobs::status
                .eq(PENDING)
                .and(jobs::run_after.le(now))
                .or(jobs::status.eq(RUNNING).and(jobs::lease_until.lt(now))),
        ),
    )
    .set((
        jobs::status.eq(RUNNING),
        jobs::lease_owner.eq(&lease.owner),
        jobs::lease_until.eq(lease_until),
        jobs::attempts.eq(jobs::attempts + 1),
        jobs::started_at.eq(now),
        jobs::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The job a worker holds: for the workers, which claim jobs of every organization.
pub(crate) fn held(conn: &mut DbConnection, lease: &Lease) -> ApiResult<Option<Job>> {
    Ok(jobs::table
        .filter(jobs::org_id.eq(&lease.org_id))
        .filter(jobs::id.eq(&lease.id))
        .select(Job::as_select())
        .first(conn)
        .optional()?)
}

/// A job of the organization, of any kind.
pub fn find_any(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<Option<Job>> {
    Ok(jobs::table
        .filter(jobs::org_id.eq(scope.org_id()))
        .filter(jobs::id.eq(id))
        .select(Job::as_select())
        .first(conn)
        .optional()?)
}

/// The job row while this worker holds its lease (every write of a running job is fenced by it).
macro_rules! held {
    ($lease:expr) => {
        jobs::table
            .filter(jobs::org_id.eq(&$lease.org_id))
            .filter(jobs::id.eq(&$lease.id))
            .filter(jobs::lease_owner.eq(&$lease.owner))
            .filter(jobs::status.eq(RUNNING))
    };
}

/// Extends the lease; false when the job is no longer this worker's.
pub fn heartbeat(conn: &mut DbConnection, lease: &Lease, lease_until: NaiveDateTime) -> ApiResult<bool> {
    let changed = diesel::update(held!(lease)).set(jobs::lease_until.eq(lease_until)).execute(conn)?;
    Ok(changed == 1)
}

/// Fenced write of the progress: fails with [`LEASE_LOST`] when another worker took the job,
/// so the caller's transaction (the work this progress describes) rolls back.
pub fn set_progress(conn: &mut DbConnection, lease: &Lease, progress: &Value) -> ApiResult<()> {
    let changed = diesel::update(held!(lease))
        .set((jobs::progress.eq(progress.to_string()), jobs::updated_at.eq(crate::time::now())))
        .execute(conn)?;
    if changed == 1 { Ok(()) } else { Err(lease_lost()) }
}

pub fn lease_lost() -> ApiError {
    ApiError::conflict(LEASE_LOST, "Another worker holds this job now.")
}

/// Ends a job this worker holds: `succeeded`, `failed` or `cancelled`, with the final progress.
pub fn finish(
    conn: &mut DbConnection,
    lease: &Lease,
    status: &str,
    progress: Option<&Value>,
    error: Option<&str>,
) -> ApiResult<bool> {
    let now = crate::time::now();
    let target = held!(lease);
    let changed = match progress {
        Some(p) => diesel::update(target)
            .set((
                jobs::status.eq(status),
                jobs::progress.eq(p.to_string()),
                jobs::last_error.eq(error),
                jobs::lease_owner.eq(None::<String>),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::finished_at.eq(now),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                jobs::status.eq(status),
                jobs::last_error.eq(error),
                jobs::lease_owner.eq(None::<String>),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::finished_at.eq(now),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Puts a failed attempt back in the queue to run again after `run_after`.
pub fn retry_later(conn: &mut DbConnection, lease: &Lease, run_after: NaiveDateTime, error: &str) -> ApiResult<bool> {
    let changed = diesel::update(held!(lease))
        .set((
            jobs::status.eq(PENDING),
            jobs::run_after.eq(run_after),
            jobs::last_error.eq(error),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Cancels a job that has not started; false when it already runs or ended.
pub fn cancel_pending(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<bool> {
    let org_id = scope.org_id();
    let now = crate::time::now();
    let changed = diesel::update(
        jobs::table.filter(jobs::org_id.eq(org_id)).filter(jobs::id.eq(id)).filter(jobs::status.eq(PENDING)),
    )
    .set((jobs::status.eq(CANCELLED), jobs::finished_at.eq(now), jobs::updated_at.eq(now)))
    .execute(conn)?;
    Ok(changed == 1)
}
