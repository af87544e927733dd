//! The real `crm` binary as a process of its own, for tests that kill it or watch its memory.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;

const SECRET: &str = "process-test-secret-process-test-secret-01";

/// A child process killed (`SIGKILL`) and reaped when dropped: a test that fails leaves none
/// running.
pub struct Killed(pub Child);

impl Killed {
    /// `kill -9` while it runs, and waits for it to be gone.
    pub fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct ServerProcess {
    pub process: Killed,
    pub base: String,
}

impl ServerProcess {
    /// Starts `crm serve` on a free port with `env` added, and waits until it is ready.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = crm(database_url)
            .arg("serve")
            .env("CRM_LISTEN", format!("127.0.0.1:{port}"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        while !client.get(format!("{base}/health/ready")).send().await.is_ok_and(|r| r.status() == 200) {
            assert!(started.elapsed() < Duration::from_secs(20), "the server did not start");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        ServerProcess { process: Killed(child), base }
    }

    /// Its resident memory now, in bytes (Linux).
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.0.id())).unwrap_or_default();
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok());
        kib.unwrap_or(0) * 1024
    }
}

/// `GET base + path` with the key: the JSON body.
pub async fn get_json(client: &reqwest::Client, base: &str, key: &str, path: &str) -> serde_json::Value {
    client.get(format!("{base}{path}")).bearer_auth(key).send().await.unwrap().json().await.unwrap()
}

/// The `crm` binary on `database_url`, quiet, with rate limits out of the way: the one
/// `CRM_TEST_SERVER_BINARY` names (a release build, say), else this build's.
pub fn crm(database_url: &str) -> Command {
    let binary = std::env::var("CRM_TEST_SERVER_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_crm").to_string());
    let mut command = Command::new(binary);
    command
        .env("DATABASE_URL", database_url)
        .env("CRM_SECRET_KEY", SECRET)
        .env("CRM_BOOTSTRAP", "false")
        .env("CRM_RATE_LIMIT_PER_MINUTE", "1000000")
        .env("RUST_LOG", "off");
    command
}

/// `crm init`: an organization and its admin's API key.
pub fn init(database_url: &str) -> String {
    let init = crm(database_url).args(["init", "--org", "Process", "--email", "admin@process.test"]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    String::from_utf8_lossy(&init.stdout).lines().last().unwrap().trim().to_string()
}

/// The number a `SELECT COUNT(*) AS n …` gives.
pub fn count(database_url: &str, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = crm_core::db::DbConnection::open(database_url).unwrap();
    diesel::sql_query(sql).get_result::<Count>(&mut conn).unwrap().n
}

/// `crm serve` runs with two malloc arenas (its memory under load: docs/benchmarks.md), as the
/// process it was started as; a value the operator sets is kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[actix_web::test]
async fn serve_runs_with_two_malloc_arenas_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("crm.db").display());
    init(&database_url);
    let inherited = std::env::var("MALLOC_ARENA_MAX").ok();
    let default = format!("MALLOC_ARENA_MAX={}", inherited.as_deref().unwrap_or("2"));
    for (env, expected) in [(vec![], default.as_str()), (vec![("MALLOC_ARENA_MAX", "8")], "MALLOC_ARENA_MAX=8")] {
        let server = ServerProcess::start(&database_url, &env).await;
        let environ = std::fs::read(format!("/proc/{}/environ", server.process.0.id())).unwrap();
        let set: Vec<&[u8]> = environ.split(|b| *b == 0).filter(|v| v.starts_with(b"MALLOC_ARENA_MAX=")).collect();
        assert_eq!(set, [expected.as_bytes()], "{}", String::from_utf8_lossy(&environ));
    }
}
