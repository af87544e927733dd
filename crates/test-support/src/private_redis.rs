//! A Redis server of the test's own on a free port, which it can kill: what the shared rate
//! limiter does with Redis, and without it, cannot be tried on a server other tests share.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateRedis {
    server: Option<Child>,
    pub port: u16,
}

impl PrivateRedis {
    /// Starts `redis-server` on 127.0.0.1 (keeping nothing on disk) and waits until it answers.
    pub fn start() -> PrivateRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("redis-server: {e} (run scripts/ensure-tools.sh)"));
        let redis = PrivateRedis { server: Some(server), port };
        let started = Instant::now();
        while redis.command("PING").as_deref() != Some("+PONG") {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Sends one inline command; the first line of the answer, or `None` when nothing answers.
    pub fn command(&self, command: &str) -> Option<String> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
        let mut answer = [0u8; 512];
        let read = stream.read(&mut answer).ok()?;
        let answer = String::from_utf8_lossy(&answer[..read]);
        answer.lines().next().map(str::to_string)
    }

    /// `kill -9`: the server is gone, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
