//! The webhook scenarios of `make bench` (run by `scripts/bench-webhooks.sh`): the release `crm`
//! as a process, a compiled receiver on loopback (this process), and one JSON line per run.
//!
//!   webhook-bench --crm target/release/crm --database-url URL --key KEY --scenario drain --endpoints 50 --events 1000
//!
//! Scenarios:
//! - `drain`: `--events` contact events are written while no process delivers, then `crm serve`
//!   starts with its dispatcher: deliveries per second from the first request to the last
//!   (`--endpoints` endpoints, each taking every contact event).
//! - `latency`: contacts created one at a time at `--rate` a second for 10 s; the time from each
//!   event's creation to its delivery (p50, p99).
//! - `feed`: reads `--events` events from the changes feed, 1,000 a page (`ms`), and again
//!   parsing every event into a JSON value (`ms_parsed`).
//! - `stream`: `GET /v1/events/stream` open while contacts are created at `--rate` a second for
//!   10 s (batches of 100): events received, and their lag behind creation (p50, p99).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crm_test_support::receiver::Receiver;
use serde_json::{Value, json};

struct Args {
    crm: String,
    database_url: String,
    key: String,
    scenario: String,
    endpoints: usize,
    events: usize,
    rate: usize,
    listen: String,
}

fn args() -> Args {
    let mut args = Args {
        crm: String::new(),
        database_url: String::new(),
        key: String::new(),
        scenario: String::new(),
        endpoints: 1,
        events: 10_000,
        rate: 200,
        listen: "127.0.0.1:18090".into(),
    };
    let mut given = std::env::args().skip(1);
    while let (Some(name), Some(value)) = (given.next(), given.next()) {
        match name.as_str() {
            "--crm" => args.crm = value,
            "--database-url" => args.database_url = value,
            "--key" => args.key = value,
            "--scenario" => args.scenario = value,
            "--endpoints" => args.endpoints = value.parse().unwrap(),
            "--events" => args.events = value.parse().unwrap(),
            "--rate" => args.rate = value.parse().unwrap(),
            "--listen" => args.listen = value,
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM: a graceful stop, so a SQLite database is left clean for the next run.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

async fn serve(args: &Args, deliver: bool) -> Server {
    let child = Command::new(&args.crm)
        .arg("serve")
        .env("DATABASE_URL", &args.database_url)
        .env("CRM_LISTEN", &args.listen)
        .env("CRM_BOOTSTRAP", "false")
        .env("CRM_RATE_LIMIT_PER_MINUTE", "100000000")
        .env("CRM_JOB_WORKERS", if deliver { "2" } else { "0" })
        .env("CRM_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let started = Instant::now();
    while !client.get(format!("http://{}/health/ready", args.listen)).send().await.is_ok_and(|r| r.status() == 200) {
        assert!(started.elapsed() < Duration::from_secs(30), "crm serve did not start");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    Server(child)
}

struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn post(&self, path: &str, body: Value) -> Value {
        let response =
            self.client.post(format!("{}{path}", self.base)).bearer_auth(&self.key).json(&body).send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap()
    }

    async fn endpoints(&self, receiver: &Receiver, count: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for i in 0..count {
            let url = format!("{}?endpoint={i}", receiver.url);
            let created = self.post("/v1/webhook-endpoints", json!({"url": url, "event_types": ["contact.*"]})).await;
            ids.push(created["id"].as_str().unwrap().to_string());
        }
        ids
    }

    async fn delete_endpoints(&self, ids: &[String]) {
        for id in ids {
            self.client
                .delete(format!("{}/v1/webhook-endpoints/{id}", self.base))
                .bearer_auth(&self.key)
                .send()
                .await
                .unwrap();
        }
    }

    /// `count` contacts, in batches of up to 100, four batches at a time.
    async fn contacts(&self, count: usize) {
        let batches = (0..count).step_by(100).map(|start| {
            let inputs: Vec<Value> = (start..(start + 100).min(count))
                .map(|i| json!({"properties": {"first_name": format!("Bench {i}")}}))
                .collect();
            self.post("/v1/contacts/batch", json!({"mode": "create", "inputs": inputs}))
        });
        use futures_util::StreamExt;
        futures_util::stream::iter(batches).buffer_unordered(4).collect::<Vec<_>>().await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Milliseconds from an event's `created_at` to `at` (a wall-clock time).
fn lag_ms(event: &Value, at: chrono::DateTime<chrono::Utc>) -> Option<f64> {
    let created = chrono::DateTime::parse_from_rfc3339(event["created_at"].as_str()?).ok()?;
    Some((at - created.with_timezone(&chrono::Utc)).num_microseconds()? as f64 / 1000.0)
}

fn wall(at: Instant) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::from_std(at.elapsed()).unwrap()
}

async fn drain(args: &Args, api: &Api) -> Value {
    let receiver = Receiver::start();
    let endpoints = {
        let _server = serve(args, false).await;
        let endpoints = api.endpoints(&receiver, args.endpoints).await;
        api.contacts(args.events).await;
        endpoints
    };
    let expected = args.events * args.endpoints;
    let server = serve(args, true).await;
    let started = Instant::now();
    while receiver.count() < expected {
        assert!(started.elapsed() < Duration::from_secs(600), "{} of {expected} delivered", receiver.count());
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let received = receiver.received();
    let (first, last) =
        (received.iter().map(|r| r.arrived).min().unwrap(), received.iter().map(|r| r.at).max().unwrap());
    let seconds = (last - first).as_secs_f64();
    api.delete_endpoints(&endpoints).await;
    drop(server);
    json!({"scenario": "drain", "endpoints": args.endpoints, "deliveries": received.len(),
        "seconds": seconds, "per_second": (received.len() as f64 / seconds).round()})
}

async fn latency(args: &Args, api: &Api) -> Value {
    let receiver = Receiver::start();
    let _server = serve(args, true).await;
    let endpoints = api.endpoints(&receiver, 1).await;
    let count = args.rate * 10;
    let every = Duration::from_secs_f64(1.0 / args.rate as f64);
    let started = Instant::now();
    for i in 0..count {
        let due = started + every * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            actix_web::rt::time::sleep(wait).await;
        }
        let api_ = Api { client: api.client.clone(), base: api.base.clone(), key: api.key.clone() };
        actix_web::rt::spawn(
            async move { api_.post("/v1/contacts", json!({"first_name": format!("Paced {i}")})).await },
        );
    }
    let waited = Instant::now();
    while receiver.count() < count && waited.elapsed() < Duration::from_secs(30) {
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let mut lags: Vec<f64> = receiver.received().iter().filter_map(|r| lag_ms(&r.json(), wall(r.arrived))).collect();
    lags.sort_by(f64::total_cmp);
    api.delete_endpoints(&endpoints).await;
    json!({"scenario": "latency", "rate": args.rate, "events": count, "delivered": lags.len(),
        "p50_ms": percentile(&lags, 0.5), "p99_ms": percentile(&lags, 0.99)})
}

async fn feed(args: &Args, api: &Api) -> Value {
    let _server = serve(args, false).await;
    // A page is read whole and checked as JSON, its events counted (not turned into values:
    // what a client does with each event is its own cost, measured apart as `ms_parsed`).
    #[derive(serde::Deserialize)]
    struct Page {
        data: Vec<serde::de::IgnoredAny>,
        next_after: i64,
    }
    let mut figures = Vec::new();
    for parse in [false, true] {
        let started = Instant::now();
        let (mut after, mut read) = (0, 0);
        while read < args.events {
            let url = format!("{}/v1/events?after={after}&limit=1000", api.base);
            let body = api.client.get(url).bearer_auth(&api.key).send().await.unwrap().bytes().await.unwrap();
            let page: Page = serde_json::from_slice(&body).unwrap();
            if parse {
                let values: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(values["data"].as_array().map(Vec::len), Some(page.data.len()));
            }
            assert!(!page.data.is_empty(), "the feed has only {read} events");
            read += page.data.len();
            after = page.next_after;
        }
        figures.push((read, started.elapsed().as_secs_f64() * 1000.0));
    }
    json!({"scenario": "feed", "events": figures[0].0, "ms": figures[0].1, "ms_parsed": figures[1].1})
}

async fn stream(args: &Args, api: &Api) -> Value {
    let _server = serve(args, false).await;
    let mut response = api
        .client
        .get(format!("{}/v1/events/stream?types=contact.created", api.base))
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    let count = args.rate * 10;
    let producer = async {
        let started = Instant::now();
        for second in 0..10u32 {
            let due = started + Duration::from_secs(second as u64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                actix_web::rt::time::sleep(wait).await;
            }
            api.contacts(args.rate).await;
        }
    };
    let consumer = async {
        let (mut text, mut lags) = (String::new(), Vec::new());
        let deadline = Instant::now() + Duration::from_secs(40);
        while lags.len() < count && Instant::now() < deadline {
            let Ok(Ok(Some(chunk))) = actix_web::rt::time::timeout(Duration::from_secs(5), response.chunk()).await
            else {
                break;
            };
            let now = chrono::Utc::now();
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                    lags.extend(serde_json::from_str::<Value>(data).ok().and_then(|e| lag_ms(&e, now)));
                }
            }
        }
        lags
    };
    let ((), mut lags) = futures_util::future::join(producer, consumer).await;
    lags.sort_by(f64::total_cmp);
    json!({"scenario": "stream", "rate": args.rate, "events": count, "received": lags.len(),
        "p50_ms": percentile(&lags, 0.5), "p99_ms": percentile(&lags, 0.99)})
}

fn main() {
    let args = args();
    actix_web::rt::System::new().block_on(async move {
        let api =
            Api { client: reqwest::Client::new(), base: format!("http://{}", args.listen), key: args.key.clone() };
        let result = match args.scenario.as_str() {
            "drain" => drain(&args, &api).await,
            "latency" => latency(&args, &api).await,
            "feed" => feed(&args, &api).await,
            "stream" => stream(&args, &api).await,
            other => panic!("unknown scenario {other}"),
        };
        println!("{result}");
    });
}
