//! A webhook receiver for tests: a real HTTP server on loopback, in a thread of its own, that
//! keeps every request it gets and answers as the test says (a status, a `Retry-After`, a delay).

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
    pub status: u16,
    /// When the request arrived, and when it was answered.
    pub arrived: Instant,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    status: AtomicU16,
    retry_after: AtomicU64,
    delay_ms: AtomicU64,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts answering 200 to everything.
    pub fn start() -> Receiver {
        let shared = Arc::new(Shared { status: AtomicU16::new(200), ..Shared::default() });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server_shared = shared.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let data = web::Data::from(server_shared);
                HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(receive)))
                    .workers(1)
                    .disable_signals()
                    .listen(listener)
                    .unwrap()
                    .run()
                    .await
            })
        });
        Receiver { url, shared }
    }

    /// Answers `status` from now on (with `Retry-After: retry_after` seconds when not 0).
    pub fn answer(&self, status: u16, retry_after: u64) {
        self.shared.status.store(status, Ordering::SeqCst);
        self.shared.retry_after.store(retry_after, Ordering::SeqCst);
    }

    /// Waits this long before answering.
    pub fn delay(&self, delay: Duration) {
        self.shared.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// How many requests came so far.
    pub fn count(&self) -> usize {
        self.shared.received.lock().unwrap().len()
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The requests answered 2xx.
    pub fn delivered(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| (200..300).contains(&r.status)).collect()
    }

    /// Waits until `done` holds for what was received (panics after `within`).
    pub async fn wait_for(&self, within: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(started.elapsed() < within, "the receiver waited {within:?}; got {} requests", received.len());
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(request: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let arrived = Instant::now();
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    }
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let status = shared.status.load(Ordering::SeqCst);
    shared.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: body.to_vec(),
        status,
        arrived,
        at: Instant::now(),
    });
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    let retry_after = shared.retry_after.load(Ordering::SeqCst);
    if retry_after > 0 {
        response.insert_header(("retry-after", retry_after.to_string()));
    }
    response.body(format!("answered {status}"))
}
