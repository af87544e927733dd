//! The database: one connection type over SQLite or PostgreSQL, pooled, migrated on start.
//!
//! Reads and writes go through [`Db::read`] and [`Db::write`], which run the blocking diesel
//! calls on actix's blocking pool. On SQLite, writes share a single connection, so writers
//! queue in the process instead of failing with `SQLITE_BUSY`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{ApiError, ApiResult};
use crate::write::Planned;

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// A connection to whichever database `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// The backend a URL names: `postgres://` / `postgresql://`, or `sqlite://` / a plain path.
    pub fn from_url(url: &str) -> Result<Backend, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") || !url.contains("://") {
            Ok(Backend::Sqlite)
        } else {
            Err(format!("DATABASE_URL must start with sqlite:// or postgres://, got {url:?}"))
        }
    }
}

/// How many rows of `columns` values one multi-row INSERT takes: both backends cap the bound
/// parameters of a statement (PostgreSQL at 65,535, SQLite at 32,766).
pub fn rows_per_statement(columns: usize) -> usize {
    (30_000 / columns.max(1)).max(1)
}

/// Inserts a slice of rows of `$columns` values each, a multi-row statement per chunk, on
/// either backend (diesel's multi-connection writes multi-row inserts for PostgreSQL only, so
/// each backend's connection builds its own). The rows' `Option`s must insert as NULL, not
/// DEFAULT (`treat_none_as_default_value = false`), which SQLite cannot take in a multi-row
/// insert. Evaluates to a `QueryResult<()>`.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $columns:expr) => {{
        use diesel::RunQueryDsl as _;
        let mut result = Ok(());
        for chunk in $rows.chunks($crate::db::rows_per_statement($columns)) {
            let done = match &mut *$conn {
                $crate::db::DbConnection::Postgres(c) => diesel::insert_into($table).values(chunk).execute(c),
                $crate::db::DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c),
            };
            if let Err(e) = done {
                result = Err(e);
                break;
            }
        }
        result
    }};
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Opens one connection, choosing the variant from the URL so a PostgreSQL error is shown as is.
    pub fn open(url: &str) -> Result<DbConnection, String> {
        match Backend::from_url(url)? {
            Backend::Postgres => diesel::PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(|e| format!("cannot connect to PostgreSQL: {e}")),
            Backend::Sqlite => {
                let path = sqlite_path(url);
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(|e| format!("cannot open SQLite database {path:?}: {e}"))?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| format!("cannot configure SQLite: {e}"))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// Applies pending migrations of this backend.
    pub fn migrate(&mut self) -> Result<(), String> {
        let result = match self {
            DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        };
        result.map_err(|e| format!("migration failed: {e}"))
    }

    /// Whether every migration of this backend has been applied.
    pub fn is_migrated(&mut self) -> Result<bool, String> {
        let pending = match self {
            DbConnection::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
            DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        };
        pending.map(|p| !p).map_err(|e| e.to_string())
    }

    /// Reverts every applied migration (tests and `crm migrate --revert-all`).
    pub fn revert_all(&mut self) -> Result<(), String> {
        let result = match self {
            DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
            DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        };
        result.map_err(|e| format!("revert failed: {e}"))
    }
}

/// The file path of a SQLite URL (`sqlite://./data/crm.db`, `sqlite:crm.db` or a plain path).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

/// Opens connections for the pool, applying the SQLite PRAGMAs to each.
///
/// Connections are not tested on every checkout (a round trip per request). Instead, once a
/// connection has failed (the database restarted, failed over or went away), every connection
/// is tested before it is reused, for [`SUSPECT_FOR`]: the dead ones leave the pool rather than
/// failing one request each.
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    wait_ms: u64,
    faults: Arc<Faults>,
}

/// When a connection last failed, shared by a [`Db`]'s pools and their managers.
#[derive(Debug)]
struct Faults {
    started: Instant,
    /// Milliseconds from `started` to just after the last connection failure; 0 for none.
    last_fault_ms: AtomicU64,
}

/// How long after a connection failure connections are tested before reuse.
const SUSPECT_FOR: Duration = Duration::from_secs(30);

impl Faults {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX).saturating_add(1)
    }

    /// Records that a connection failed or could not be opened.
    fn note_fault(&self) {
        self.last_fault_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Whether connections must be tested before reuse.
    fn suspect(&self) -> bool {
        let last = self.last_fault_ms.load(Ordering::Relaxed);
        last != 0 && self.now_ms().saturating_sub(last) < SUSPECT_FOR.as_millis() as u64
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let mut conn = DbConnection::open(&self.url)
            .map_err(|e| diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(e)))?;
        if conn.backend() == Backend::Sqlite {
            // A lock held elsewhere is waited for as long as a connection is, then answered 503.
            conn.batch_execute(&format!("PRAGMA busy_timeout = {}", self.wait_ms))
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection left inside a transaction or with a failed transaction manager is dropped;
    /// after a fault, so is one that no longer answers.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn) || (self.faults.suspect() && self.is_valid(conn).is_err())
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// The application's database handle: cheap to clone, shared by every worker.
#[derive(Clone)]
pub struct Db {
    backend: Backend,
    url: Arc<str>,
    read: Pool,
    write: Pool,
    faults: Arc<Faults>,
    /// Bumped when new events may be visible: what the live stream, long polls and webhook
    /// dispatch wait on (see [`Db::events_changed`]).
    event_wakeups: Arc<tokio::sync::watch::Sender<u64>>,
    /// PostgreSQL: a write committed here since the events listener last looked, so events may
    /// wait for their stamp (see [`Db::take_committed`]).
    committed_since: Arc<AtomicBool>,
    /// PostgreSQL: the numbers this process takes ahead (see [`Db::reserved_number`]).
    numbers: Option<crate::sequence::Blocks>,
}

impl Db {
    /// Connects, creating the SQLite file's folder if needed. Does not migrate.
    /// A request waits up to `wait_ms` for a connection, then answers 503.
    pub fn connect(url: &str, pool_size: u32, wait_ms: u64) -> Result<Db, String> {
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite
            && let Some(dir) = std::path::Path::new(sqlite_path(url)).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let faults = Arc::new(Faults { started: Instant::now(), last_fault_ms: AtomicU64::new(0) });
        let build = |size: u32| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_millis(wait_ms))
                .test_on_check_out(false)
                .build(ConnectionManager { url: url.to_string(), wait_ms, faults: faults.clone() })
                .map_err(|e| e.to_string())
        };
        let read = build(pool_size)?;
        let write = match backend {
            Backend::Postgres => read.clone(),
            Backend::Sqlite => build(1)?,
        };
        let event_wakeups = Arc::new(tokio::sync::watch::Sender::new(0));
        let numbers = (backend == Backend::Postgres).then(|| crate::sequence::Blocks::new(url));
        let committed_since = Arc::new(AtomicBool::new(false));
        Ok(Db { backend, url: url.into(), read, write, faults, event_wakeups, committed_since, numbers })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL it connects to (for a connection of its own, such as a `LISTEN`er's).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// On PostgreSQL, the organization's next number of the sequence `name` from a block this
    /// process reserved ([`crate::sequence::Blocks`]): creations numbered so never queue on the
    /// counter. `None` on SQLite, whose one writer takes it in the creation's transaction
    /// ([`crate::sequence::next`]) at no cost.
    pub async fn reserved_number(&self, org_id: &str, name: &'static str) -> ApiResult<Option<i64>> {
        let Some(numbers) = self.numbers.clone() else { return Ok(None) };
        let org_id = org_id.to_string();
        actix_web::web::block(move || numbers.next(&org_id, name).map(Some)).await.map_err(ApiError::internal)?
    }

    /// Changes when new events may have become visible in this process: on SQLite after every
    /// write that commits here, on PostgreSQL when the listener hears of events from any process
    /// (`crate::events::service::run_listener`).
    pub fn events_changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.event_wakeups.subscribe()
    }

    /// Wakes what waits on [`Db::events_changed`].
    pub fn wake_event_listeners(&self) {
        self.event_wakeups.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// After a commit: on SQLite, where the writer is this process, whatever it wrote is
    /// visible now (events included); on PostgreSQL its events wait for the listener's stamp.
    fn committed(&self) {
        match self.backend {
            Backend::Sqlite => self.wake_event_listeners(),
            Backend::Postgres => self.committed_since.store(true, Ordering::Release),
        }
    }

    /// Whether a write committed in this process since the last call (PostgreSQL): the events
    /// listener looks for unstamped events only then, so an idle process adds no query to the
    /// sequencer's look every second, which also stamps what was written elsewhere (the CLI, a
    /// process that died before stamping).
    pub fn take_committed(&self) -> bool {
        self.committed_since.swap(false, Ordering::AcqRel)
    }

    /// A connection outside any request (start-up, CLI, tests).
    pub fn conn(&self) -> ApiResult<PooledConnection> {
        self.checkout(&self.write)
    }

    /// Runs `f` on a read connection in the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        // Once the request has written, it reads its own writes: in its transaction (in a
        // savepoint, as on PostgreSQL a failed statement outside one would abort it all).
        if let Some(request) = RequestTransaction::current().filter(RequestTransaction::has_begun) {
            return request.run(|conn| conn.transaction(f)).await;
        }
        let db = self.clone();
        actix_web::web::block(move || db.read_now(f)).await.map_err(ApiError::internal)?
    }

    /// Runs `f` in one write transaction in the blocking pool: all of it commits, or none.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(request) = RequestTransaction::current() {
            // A savepoint inside the request's transaction: `f` still applies whole or not at all.
            return request.run(|conn| conn.transaction(f)).await;
        }
        self.write_apart(f).await
    }

    /// Runs `plan` and writes what it plans ([`Planned`]). On PostgreSQL outside a request's
    /// transaction, the plan runs in no transaction: it reads, each read seeing what is committed
    /// (as in a READ COMMITTED transaction). The writes are one statement, atomic by itself, so
    /// the `BEGIN` and `COMMIT` round trips buy nothing, unless the plan has a follow-up: then
    /// the writes and it share a transaction. Elsewhere, as [`Db::write`].
    pub async fn write_planned<O, F>(&self, plan: F) -> ApiResult<O>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<Planned<O>> + Send + 'static,
        O: serde::Serialize + Send + 'static,
    {
        if self.backend == Backend::Postgres && RequestTransaction::current().is_none() {
            let db = self.clone();
            return actix_web::web::block(move || {
                let mut conn = db.checkout(&db.write)?;
                let planned = db.watch(plan(&mut conn))?;
                let written = match planned.has_follow_up() {
                    true => db.watch(conn.transaction(|conn| planned.write(conn))),
                    false => db.watch(planned.write(&mut conn)),
                };
                if written.is_ok() {
                    db.committed();
                }
                written
            })
            .await
            .map_err(ApiError::internal)?;
        }
        self.write(move |conn| plan(conn)?.write(conn)).await
    }

    /// Like [`Db::write`], but in a transaction of its own even inside a request's: for what
    /// must commit as it goes, such as the chunks of an upload.
    pub async fn write_apart<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_now(f)).await.map_err(ApiError::internal)?
    }

    /// A transaction that the writes of a request join, and its reads once it has written (see
    /// [`RequestTransaction`]). It begins with its first statement.
    pub fn request_transaction(&self) -> RequestTransaction {
        RequestTransaction { db: self.clone(), conn: Arc::new(Mutex::new(Stage::NotBegun)) }
    }

    /// Runs `f` on a read connection in the calling thread: for code already off the async
    /// executor (job handlers), which must not hold a connection longer than one step.
    pub fn read_now<T>(&self, f: impl FnOnce(&mut DbConnection) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = self.checkout(&self.read)?;
        self.watch(f(&mut conn))
    }

    /// Runs `f` in one write transaction in the calling thread (see [`Db::read_now`]).
    pub fn write_now<T>(&self, f: impl FnOnce(&mut DbConnection) -> ApiResult<T>) -> ApiResult<T> {
        let mut pooled = self.checkout(&self.write)?;
        let conn: &mut DbConnection = &mut pooled;
        let result = self.watch(conn.transaction(f));
        if result.is_ok() {
            self.committed();
        }
        result
    }

    /// A connection from `pool`; after a fault, one that answers (the dead ones are dropped on
    /// the way, as [`ConnectionManager::has_broken`] refuses them back).
    fn checkout(&self, pool: &Pool) -> ApiResult<PooledConnection> {
        let get = || {
            pool.get().map_err(|e| {
                self.faults.note_fault();
                ApiError::from(e)
            })
        };
        let mut conn = get()?;
        let mut tries = pool.max_size();
        while self.faults.suspect() && conn.batch_execute("SELECT 1").is_err() {
            tries = tries.checked_sub(1).ok_or_else(ApiError::database_unavailable)?;
            drop(conn);
            conn = get()?;
        }
        Ok(conn)
    }

    /// Passes `result` on, noting a lost connection so that the pools test theirs for a while.
    fn watch<T>(&self, result: ApiResult<T>) -> ApiResult<T> {
        if let Err(e) = &result
            && e.is_database_unavailable()
        {
            self.faults.note_fault();
        }
        result
    }
}

type TxManager = <DbConnection as Connection>::TransactionManager;

tokio::task_local! {
    static REQUEST_TRANSACTION: RequestTransaction;
}

/// One transaction, on one connection, for what a request writes: what the idempotency
/// middleware needs to store a response in the same transaction as the change it answers.
/// Inside [`RequestTransaction::scope`], [`Db::write`] runs in a savepoint of it, and
/// [`Db::read`] too once it has begun (a request reads its own writes); before, reads use the
/// read pool. It begins with its first statement, so a request that uploads first (writing
/// apart, [`Db::write_apart`]) does not hold the connection meanwhile. Nothing is visible to
/// others until [`RequestTransaction::commit`]; dropped without it, the connection goes back to
/// the pool inside its transaction, and the pool discards it, which rolls it back.
#[derive(Clone)]
pub struct RequestTransaction {
    db: Db,
    conn: Arc<Mutex<Stage>>,
}

enum Stage {
    NotBegun,
    Open(PooledConnection),
    Ended,
}

impl RequestTransaction {
    fn current() -> Option<RequestTransaction> {
        REQUEST_TRANSACTION.try_with(Clone::clone).ok()
    }

    fn has_begun(&self) -> bool {
        self.conn.lock().is_ok_and(|stage| !matches!(*stage, Stage::NotBegun))
    }

    /// Runs `future` (a request's handler) with its writes inside this transaction.
    pub async fn scope<F: std::future::Future>(&self, future: F) -> F::Output {
        REQUEST_TRANSACTION.scope(self.clone(), future).await
    }

    /// Runs `f` in the transaction, in the blocking pool; the first call begins it.
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (db, stage) = (self.db.clone(), self.conn.clone());
        actix_web::web::block(move || {
            let mut stage = stage.lock().map_err(|_| ApiError::internal("request transaction poisoned"))?;
            if matches!(*stage, Stage::NotBegun) {
                let mut conn = db.checkout(&db.write)?;
                db.watch(TxManager::begin_transaction(&mut *conn).map_err(ApiError::from))?;
                *stage = Stage::Open(conn);
            }
            let Stage::Open(conn) = &mut *stage else {
                return Err(ApiError::internal("request transaction already ended"));
            };
            db.watch(f(conn))
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Commits: everything the request wrote becomes visible at once.
    pub async fn commit(self) -> ApiResult<()> {
        let db = self.db.clone();
        self.end(|conn| TxManager::commit_transaction(conn).map_err(ApiError::from)).await?;
        db.committed();
        Ok(())
    }

    /// Rolls back everything the request wrote.
    pub async fn rollback(self) -> ApiResult<()> {
        self.end(|conn| TxManager::rollback_transaction(conn).map_err(ApiError::from)).await
    }

    async fn end(self, finish: fn(&mut DbConnection) -> ApiResult<()>) -> ApiResult<()> {
        let (db, stage) = (self.db.clone(), self.conn.clone());
        actix_web::web::block(move || {
            let mut stage = stage.lock().map_err(|_| ApiError::internal("request transaction poisoned"))?;
            match std::mem::replace(&mut *stage, Stage::Ended) {
                Stage::Open(mut conn) => db.watch(finish(&mut conn)),
                Stage::NotBegun => Ok(()),
                Stage::Ended => Err(ApiError::internal("request transaction already ended")),
            }
        })
        .await
        .map_err(ApiError::internal)?
    }
}

impl From<diesel::r2d2::Error> for ApiError {
    fn from(e: diesel::r2d2::Error) -> Self {
        ApiError::internal(format!("connection: {e}"))
    }
}
