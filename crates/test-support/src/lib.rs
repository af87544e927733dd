//! The test harness every crate's tests share (`crates/<domain>/tests/`): the whole app on a
//! real port, on an isolated database per test (a temporary SQLite file, or a PostgreSQL
//! database cloned from a migrated template), with ready principals: an admin key, a sales
//! user's token, a read-only user's token and another organization's admin key; problem+json
//! assertions; and snapshots of response bodies with ids and times redacted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub use crm_gateway;

mod private_postgres;
mod private_redis;
pub mod receiver;
pub mod smtp;
pub use private_postgres::PrivatePostgres;
pub use private_redis::PrivateRedis;

use std::net::SocketAddr;
use std::sync::mpsc;

use actix_web::web;
use crm_core::AppState;
use crm_core::auth::secrets::AccessClaims;
use crm_core::config::Config;
use crm_core::db::{DbConnection, PooledConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario on both databases: `both!(name)` makes tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[actix_web::test]
                async fn sqlite() {
                    super::$scenario($crate::TestApp::spawn($crate::Backend::Sqlite).await).await
                }
                #[actix_web::test]
                async fn postgres() {
                    super::$scenario($crate::TestApp::spawn($crate::Backend::Postgres).await).await
                }
            }
        )*
    };
}

/// Runs a scenario that starts its own app or server on both databases: `both_backends!(name)`
/// makes tests `name::sqlite` and `name::postgres`, each calling `name(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[actix_web::test]
                async fn sqlite() {
                    super::$scenario($crate::Backend::Sqlite).await
                }
                #[actix_web::test]
                async fn postgres() {
                    super::$scenario($crate::Backend::Postgres).await
                }
            }
        )*
    };
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: web::Data<AppState>,
    pub client: reqwest::Client,
    pub org_id: String,
    pub admin_id: String,
    pub admin_key: String,
    pub sales_id: String,
    pub sales_token: String,
    pub read_only_token: String,
    pub other_org_key: String,
    _database: Database,
}

enum Database {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// A database the test manages itself.
    External,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { admin_url, name } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The PostgreSQL server the tests use.
pub fn pg_server_url() -> String {
    std::env::var("CRM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
        .trim_end_matches('/')
        .to_string()
}

fn migrations_fingerprint() -> String {
    use sha2::Digest;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    let mut hasher = sha2::Sha256::new();
    for path in entries {
        hasher.update(path.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&path).unwrap_or_default());
    }
    crm_core::auth::secrets::hex(&hasher.finalize())[..12].to_string()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

/// A fresh, migrated PostgreSQL database: cloned from a template migrated once per schema version.
pub fn new_pg_database() -> (String, String, String) {
    let server = pg_server_url();
    let admin_url = format!("{server}/postgres");
    let mut admin = diesel::PgConnection::establish(&admin_url).unwrap_or_else(|e| {
        panic!("PostgreSQL at {server} is required for the postgres half of the suite (set CRM_TEST_PG_URL): {e}")
    });
    let template = format!("crm_template_{}", migrations_fingerprint());
    admin.batch_execute("SELECT pg_advisory_lock(72630011)").unwrap();
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let exists: Exists =
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{template}'"))
            .get_result(&mut admin)
            .unwrap();
    if exists.n == 0 {
        admin.batch_execute(&format!("CREATE DATABASE {template}")).unwrap();
        let mut conn = DbConnection::open(&format!("{server}/{template}")).unwrap();
        conn.migrate().unwrap();
    }
    let name = format!("crm_test_{}", crm_core::id::new_id("t").trim_start_matches("t_"));
    let created = admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"));
    admin.batch_execute("SELECT pg_advisory_unlock(72630011)").unwrap();
    created.unwrap();
    (format!("{server}/{name}"), admin_url, name)
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A fresh, migrated PostgreSQL database for a test that runs the server itself: its URL, and a
/// guard that drops it.
pub fn temporary_pg_database() -> (String, TemporaryDatabase) {
    let (url, admin_url, name) = new_pg_database();
    (url, TemporaryDatabase(Database::Postgres { admin_url, name }))
}

/// Drops its database when dropped.
pub struct TemporaryDatabase(#[allow(dead_code)] Database);

pub fn test_config(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut vars: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), database_url.into()),
        ("CRM_SECRET_KEY".into(), "test-secret-test-secret-test-secret-0123".into()),
        ("CRM_BOOTSTRAP".into(), "false".into()),
        ("CRM_DATABASE_POOL_SIZE".into(), "4".into()),
        ("CRM_MAX_BODY_BYTES".into(), "1048576".into()),
        ("CRM_JOB_POLL_MS".into(), "100".into()),
        ("CRM_JOB_RETRY_BASE_MS".into(), "50".into()),
    ];
    vars.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let env = |name: &str| vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Config::load_from(env, crm_gateway::DOMAINS).unwrap()
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// Starts the app with extra `CRM_*` settings.
    pub async fn spawn_with(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
        let (url, database) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("crm.db").display());
                (url, Database::Sqlite(dir))
            }
            Backend::Postgres => {
                let (url, admin_url, name) = new_pg_database();
                (url, Database::Postgres { admin_url, name })
            }
        };
        Self::spawn_at(&url, database, overrides).await
    }

    /// Starts the app on a migrated database the test manages itself (such as one on a
    /// [`PrivatePostgres`]).
    pub async fn spawn_on(url: &str, overrides: &[(&str, &str)]) -> TestApp {
        Self::spawn_at(url, Database::External, overrides).await
    }

    async fn spawn_at(url: &str, database: Database, overrides: &[(&str, &str)]) -> TestApp {
        let config = test_config(url, overrides);
        let state = web::Data::new(crm_gateway::server::prepare(config).unwrap());
        let mut conn = state.db.conn().unwrap();
        let main =
            crm_core::organizations::create_with_admin(&mut conn, &state.keys, "Acme", "admin@acme.test").unwrap();
        let other =
            crm_core::organizations::create_with_admin(&mut conn, &state.keys, "Globex", "admin@globex.test").unwrap();
        let sales_id = insert_user(&mut conn, &main.org_id, "sales@acme.test", "sales");
        let read_only_id = insert_user(&mut conn, &main.org_id, "viewer@acme.test", "read_only");
        drop(conn);
        let sales_token = token_for(&state, &main.org_id, &sales_id, "sales");
        let read_only_token = token_for(&state, &main.org_id, &read_only_id, "read_only");

        let (tx, rx) = mpsc::channel();
        let server_state = state.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let spec = web::Data::new(crm_gateway::openapi());
                actix_web::rt::spawn(crm_core::events::service::run_sequencer(server_state.db.clone()));
                crm_core::events::service::run_listener(server_state.db.clone());
                crm_gateway::server::spawn_workers(&server_state);
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let running = crm_gateway::server::http_server(server_state, spec, listener, 1, false).unwrap();
                tx.send(addr).unwrap();
                running.await
            })
        });
        let addr = rx.recv().unwrap();
        TestApp {
            addr,
            state,
            client: reqwest::Client::new(),
            org_id: main.org_id,
            admin_id: main.user_id,
            admin_key: main.api_key,
            sales_id,
            sales_token,
            read_only_token,
            other_org_key: other.api_key,
            _database: database,
        }
    }

    /// The body of `POST <path>` from the resource's example, with each `{<record_type>_id}`
    /// replaced by the id of a new record of that type (created by the admin from its own
    /// example); `None` for a singleton.
    pub async fn example_body(&self, spec: &crm_core::registry::ResourceSpec) -> Option<Value> {
        let mut body = spec.writes.as_ref()?.create?.to_string();
        for other in crm_core::registry::resources(crm_gateway::DOMAINS) {
            let placeholder = format!("{{{}_id}}", other.record_type);
            if body.contains(&placeholder) {
                let mut example =
                    Box::pin(self.example_body(other)).await.expect("a referenced resource has an example");
                // A name of its own: the example may already have been created (names are unique).
                if let Some(Value::String(name)) = example.get_mut("name") {
                    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                    name.push_str(&format!(" {}", nanos.as_nanos()));
                }
                let created = self.post(other.path, &self.admin_key, example).await;
                created.expect(201);
                body = body.replace(&placeholder, created.body["id"].as_str().unwrap());
            }
        }
        Some(serde_json::from_str(&body).unwrap())
    }

    /// The main organization as the platform's own work sees it (everything), for checks
    /// that read the database directly.
    pub fn system_scope(&self) -> crm_core::scope::Scope {
        crm_core::jobs::schedule::system_actor(&self.org_id).scope()
    }

    /// A new active user of the main organization: their id and an access token.
    pub fn new_user(&self, email: &str, role: &str) -> (String, String) {
        let id = insert_user(&mut self.state.db.conn().unwrap(), &self.org_id, email, role);
        let token = token_for(&self.state, &self.org_id, &id, role);
        (id, token)
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(self.client.delete(self.url(path)), token).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(self.client.put(self.url(path)).json(&body), token).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn conn(&self) -> PooledConnection {
        self.state.db.conn().unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(self.client.get(self.url(path)), token).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(&body), token).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(self.client.patch(self.url(path)).json(&body), token).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder, token: &str) -> Reply {
        let request = if token.is_empty() { request } else { request.bearer_auth(token) };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    /// Rows in a table for this test's organizations (database-state assertions).
    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn();
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let count: Count = match &mut *conn {
            DbConnection::Postgres(c) => diesel::sql_query(sql).get_result(c).unwrap(),
            DbConnection::Sqlite(c) => diesel::sql_query(sql).get_result(c).unwrap(),
        };
        count.n
    }

    /// Event types of the organization, oldest first.
    pub fn event_types(&self) -> Vec<String> {
        use crm_core::schema::events;
        events::table
            .filter(events::org_id.eq(&self.org_id))
            .order(events::created_at.asc())
            .select(events::event_type)
            .load(&mut *self.conn())
            .unwrap()
    }
}

/// Every test checks, as it ends, that each event its app emitted is in the event catalog
/// (`GET /v1/event-types`, the contract's `webhooks`): code that emits an uncatalogued type fails.
/// Tests of the outbox itself emit types of their own, in the `test.` namespace.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        use crm_core::schema::events;
        let Ok(mut conn) = self.state.db.conn() else { return };
        let Ok(emitted) = events::table.select(events::event_type).distinct().load::<String>(&mut *conn) else {
            return;
        };
        let catalog: Vec<&str> = crm_core::registry::event_types(self.state.domains).iter().map(|t| t.name).collect();
        let missing: Vec<&String> =
            emitted.iter().filter(|t| !t.starts_with("test.") && !catalog.contains(&t.as_str())).collect();
        assert!(missing.is_empty(), "event types emitted but not in the catalog: {missing:?}");
    }
}

fn insert_user(conn: &mut DbConnection, org_id: &str, email: &str, role: &str) -> String {
    let id = crm_core::id::new_id(crm_core::users::model::ID_PREFIX);
    let now = crm_core::time::now();
    crm_core::users::model::insert(
        conn,
        &crm_core::users::model::NewUser {
            id: &id,
            org_id,
            email,
            name: email,
            role,
            status: "active",
            password_hash: None,
            invitation_hash: None,
            created_at: now,
            updated_at: now,
        },
    )
    .unwrap();
    id
}

/// An access token minted with the server's key (sign-in itself is tested through HTTP).
pub fn token_for(state: &AppState, org_id: &str, user_id: &str, role: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = AccessClaims { sub: user_id.into(), org: org_id.into(), role: role.into(), iat: now, exp: now + 600 };
    state.keys.issue_access_token(&claims).unwrap()
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, and for errors the problem+json shape and code.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        if status >= 400 {
            assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text);
            assert_eq!(self.body["status"], status);
            assert!(self.body["request_id"].as_str().is_some_and(|r| !r.is_empty()), "{}", self.text);
            assert!(self.body["type"].is_string() && self.body["title"].is_string() && self.body["detail"].is_string());
        }
        self
    }

    #[track_caller]
    pub fn expect_problem(&self, status: u16, code: &str) -> &Self {
        self.expect(status);
        assert_eq!(self.body["code"], code, "{}", self.text);
        self
    }
}

/// A response body fit for a snapshot: TypeIDs become `<prefix>_[id]`, RFC 3339 times `[time]`,
/// so the snapshot pins the shape and the values a test chose, not what changes every run.
pub fn redacted(body: &Value) -> Value {
    let id = regex::Regex::new(r"\b([a-z]+)_[0-9a-z]{26}\b").unwrap();
    let time = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$").unwrap();
    fn walk(value: &Value, id: &regex::Regex, time: &regex::Regex) -> Value {
        match value {
            Value::String(s) if time.is_match(s) => Value::String("[time]".into()),
            Value::String(s) => Value::String(id.replace_all(s, "${1}_[id]").into_owned()),
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, id, time)).collect()),
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), walk(v, id, time))).collect()),
            other => other.clone(),
        }
    }
    walk(body, &id, &time)
}
