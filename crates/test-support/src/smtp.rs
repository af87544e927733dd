//! An SMTP server for tests: a real one (mailin-embedded) on loopback, in threads of its own,
//! that keeps every message it takes and refuses the ones the test says it should.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// One message the server took: the envelope and the raw RFC 5322 data.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Delivered {
    /// The message as the platform's inbound parser reads it.
    pub fn read(&self) -> crm_core::mail::inbound::Inbound {
        crm_core::mail::inbound::parse(self.data.as_bytes()).unwrap()
    }
}

#[derive(Default)]
struct Shared {
    delivered: Mutex<Vec<Delivered>>,
    /// Codes to answer the next messages' DATA with, in turn (451: try later; 550: never).
    refusals: Mutex<VecDeque<u16>>,
    refused: Mutex<usize>,
    /// Messages whose end of data waits, unanswered, until `release` (a client killed meanwhile).
    holds: Mutex<usize>,
    holding: Mutex<usize>,
    released: (Mutex<bool>, Condvar),
}

#[derive(Clone)]
struct Inbox {
    shared: Arc<Shared>,
    current: Option<Delivered>,
}

impl Handler for Inbox {
    // A refusal answers the DATA command (mailin-embedded stays in the data phase after a
    // refused end of data, which would stall the client).
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        if let Some(code) = self.shared.refusals.lock().unwrap().pop_front() {
            *self.shared.refused.lock().unwrap() += 1;
            return Response::custom(code, format!("refused by the test ({code})"));
        }
        self.current = Some(Delivered { from: from.to_string(), to: to.to_vec(), data: String::new() });
        response::START_DATA
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(message) = &mut self.current {
            message.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let hold = {
            let mut holds = self.shared.holds.lock().unwrap();
            *holds > 0 && {
                *holds -= 1;
                true
            }
        };
        if hold {
            *self.shared.holding.lock().unwrap() += 1;
            let (lock, released) = &self.shared.released;
            let mut done = lock.lock().unwrap();
            while !*done {
                done = released.wait(done).unwrap();
            }
        }
        if let Some(message) = self.current.take() {
            self.shared.delivered.lock().unwrap().push(message);
        }
        Response::custom(250, "2.0.0 Ok: queued".to_string())
    }
}

pub struct SmtpServer {
    /// `smtp://127.0.0.1:<port>`: what `CRM_SMTP_URL` is set to.
    pub url: String,
    shared: Arc<Shared>,
}

impl SmtpServer {
    /// A server that takes every message.
    pub fn start() -> SmtpServer {
        Self::refusing(&[])
    }

    /// A server that answers the first messages' DATA with `codes`, in turn, then takes them.
    pub fn refusing(codes: &[u16]) -> SmtpServer {
        let shared = Arc::new(Shared::default());
        shared.refusals.lock().unwrap().extend(codes);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let mut server = Server::new(Inbox { shared: shared.clone(), current: None });
        server
            .with_name("smtp.test")
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_num_threads(2)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("the test SMTP server stopped: {e}");
            }
        });
        SmtpServer { url, shared }
    }

    /// Refuses the next messages' DATA with `codes`, in turn.
    pub fn refuse_next(&self, codes: &[u16]) {
        self.shared.refusals.lock().unwrap().extend(codes);
    }

    /// Holds the next message at its end of data, unanswered, until [`SmtpServer::release`].
    pub fn hold_next(&self) {
        *self.shared.holds.lock().unwrap() += 1;
    }

    /// How many messages have been held so far.
    pub fn holding(&self) -> usize {
        *self.shared.holding.lock().unwrap()
    }

    /// Takes the held messages (they count as delivered) and holds none from now on.
    pub fn release(&self) {
        let (lock, released) = &self.shared.released;
        *lock.lock().unwrap() = true;
        released.notify_all();
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.shared.delivered.lock().unwrap().clone()
    }

    pub fn refused(&self) -> usize {
        *self.shared.refused.lock().unwrap()
    }

    /// Waits until `count` messages were taken (at most thirty seconds: a loaded CI machine).
    pub async fn wait_for(&self, count: usize) -> Vec<Delivered> {
        let start = Instant::now();
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count || start.elapsed() > Duration::from_secs(30) {
                return delivered;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
