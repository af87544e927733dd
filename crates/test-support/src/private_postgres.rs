//! A PostgreSQL server of the test's own, which it can stop and start again: what a database
//! restart or failover does to a running server cannot be tried on the server other tests share.

use std::path::PathBuf;
use std::process::Command;

pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl PrivatePostgres {
    /// Creates a cluster in a temporary folder (initdb, trust authentication) and starts it on
    /// a free port of 127.0.0.1. As root, the server runs as the `postgres` user, as it must.
    pub fn start() -> PrivatePostgres {
        let bin = PathBuf::from(run(Command::new("pg_config").arg("--bindir")).trim());
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = PrivatePostgres { dir, bin, port };
        if is_root() {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(server.dir.path()));
        }
        run(server.command("initdb").args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"]).arg(server.data()));
        server.start_again();
        server
    }

    /// The URL of a database: `postgres` exists from the start.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates database `name`; its URL.
    pub fn create_database(&self, name: &str) -> String {
        use diesel::connection::SimpleConnection;
        let mut admin = <diesel::PgConnection as diesel::Connection>::establish(&self.url("postgres")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        self.url(name)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(log)
            .args(["-w", "start"]));
    }

    /// Stops the server: `fast` ends every session as a restart does; `immediate` is a crash.
    pub fn stop(&self, mode: &str) {
        run(self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", mode, "-w", "stop"]));
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "stop"]).output();
    }
}

fn is_root() -> bool {
    run(Command::new("id").arg("-u")).trim() == "0"
}

/// Runs a command to its end; its output, or a panic with what it printed.
fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
