//! Several gateways on one PostgreSQL: two `crm serve` processes and a `crm worker` behind a
//! real HAProxy started by the test. Requests reach both gateways; the rate limit holds across
//! them; a revoked key and a deactivated user are refused by the other gateway within a second;
//! jobs created through one gateway are run by the worker; a gateway killed under the balancer
//! costs the clients nothing once HAProxy has noticed. With `CRM_REDIS_URL` the gateways share
//! their counts on Redis instead, and keep serving when Redis dies.

use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::server_process::{Killed, ServerProcess, crm, init};
use crate::support::{PrivateRedis, temporary_pg_database};

/// Requests per minute per principal on every gateway of this test.
const LIMIT: u32 = 40;

struct Balancer {
    _haproxy: Killed,
    base: String,
    _dir: tempfile::TempDir,
}

/// HAProxy in front of `gateways`, round robin, checking `/health/ready` every 200 ms; each
/// answer names the gateway that gave it in `X-Gateway`.
async fn balancer(gateways: &[&ServerProcess]) -> Balancer {
    let haproxy = ["haproxy", "/usr/sbin/haproxy"]
        .into_iter()
        .find(|p| Command::new(p).arg("-v").stdout(Stdio::null()).status().is_ok())
        .expect("haproxy is not installed: run scripts/ensure-tools.sh");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let servers: String = gateways
        .iter()
        .enumerate()
        .map(|(i, g)| {
            format!("    server gateway{i} {} check inter 200ms fall 1 rise 1\n", g.base.trim_start_matches("http://"))
        })
        .collect();
    let config = format!(
        "global\n    maxconn 2000\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 30s\n\
         \x20   retries 2\n    option redispatch\n    retry-on conn-failure empty-response\n\
         frontend crm\n    bind 127.0.0.1:{port}\n    default_backend gateways\n\
         backend gateways\n    balance roundrobin\n    option httpchk GET /health/ready\n\
         \x20   http-response set-header X-Gateway %s\n{servers}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haproxy.cfg");
    std::fs::File::create(&path).unwrap().write_all(config.as_bytes()).unwrap();
    let haproxy = Killed(Command::new(haproxy).arg("-db").arg("-f").arg(&path).stdout(Stdio::null()).spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    // Ready when both gateways have answered through it.
    let mut seen = HashSet::new();
    while seen.len() < gateways.len() {
        assert!(started.elapsed() < Duration::from_secs(20), "HAProxy did not reach every gateway: {seen:?}");
        if let Ok(reply) = client.get(format!("{base}/health/ready")).send().await
            && let Some(gateway) = reply.headers().get("x-gateway")
        {
            seen.insert(gateway.to_str().unwrap().to_string());
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    Balancer { _haproxy: haproxy, base, _dir: dir }
}

async fn send(request: reqwest::RequestBuilder) -> (u16, String, Value) {
    let reply = request.send().await.unwrap();
    let gateway = reply.headers().get("x-gateway").map(|g| g.to_str().unwrap().to_string()).unwrap_or_default();
    let status = reply.status().as_u16();
    (status, gateway, reply.json().await.unwrap_or(Value::Null))
}

/// Waits for the start of the next minute when less than 15 s of this one remain, so that a
/// count of requests falls in one rate-limit window.
async fn early_in_a_window() {
    let second = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() % 60;
    if second > 45 {
        actix_web::rt::time::sleep(Duration::from_secs(61 - second)).await;
    }
}

/// Polls `GET /v1/me` on `base` with `token` until it answers 401: how long that took.
async fn refused_after(client: &reqwest::Client, base: &str, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let status = client.get(format!("{base}/v1/me")).bearer_auth(token).send().await.unwrap().status();
        if status == 401 {
            return started.elapsed();
        }
        assert_eq!(status, 200);
        assert!(started.elapsed() < Duration::from_secs(5), "still accepted after 5 s");
        // Spaced so that a second of polls stays under the key's LIMIT a minute.
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn two_gateways_and_a_worker_behind_haproxy_on_one_postgres() {
    let (url, _database) = temporary_pg_database();
    let admin = init(&url);
    let limit = LIMIT.to_string();
    let env = [("CRM_RATE_LIMIT_PER_MINUTE", limit.as_str()), ("CRM_JOB_WORKERS", "0")];
    let one = ServerProcess::start(&url, &env).await;
    let mut two = ServerProcess::start(&url, &env).await;
    let worker = Killed(crm(&url).arg("worker").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap());
    let lb = balancer(&[&one, &two]).await;
    let client = reqwest::Client::new();
    let post = |base: &str, path: &str, token: &str, body: Value| {
        client.post(format!("{base}{path}")).bearer_auth(token).json(&body)
    };

    // Keys for each part, created through the balancer, so by both gateways.
    let mut keys = Vec::new();
    let mut gateways = HashSet::new();
    for name in ["limited", "revoked"] {
        let (status, gateway, body) =
            send(post(&lb.base, "/v1/api-keys", &admin, json!({"name": name, "scopes": ["platform:read"]}))).await;
        assert_eq!(status, 201, "{body}");
        gateways.insert(gateway);
        keys.push((body["id"].as_str().unwrap().to_string(), body["key"].as_str().unwrap().to_string()));
    }
    assert_eq!(gateways.len(), 2, "round robin reaches both gateways: {gateways:?}");

    // The limit holds across gateways: of 60 requests spread over both, at most LIMIT pass
    // (at least LIMIT less one lease, which the other gateway may hold unused); each gateway
    // refuses some.
    early_in_a_window().await;
    let (mut allowed, mut refusing) = (0, HashSet::new());
    for _ in 0..60 {
        let (status, gateway, _) = send(client.get(format!("{}/v1/me", lb.base)).bearer_auth(&keys[0].1)).await;
        match status {
            200 => allowed += 1,
            429 => {
                refusing.insert(gateway);
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let lease = (LIMIT / 20).max(1);
    assert!((LIMIT - lease..=LIMIT).contains(&allowed), "{allowed} of 60 allowed with a limit of {LIMIT}");
    assert_eq!(refusing.len(), 2, "both gateways refuse once the shared window is spent: {refusing:?}");

    // A key revoked on one gateway is refused by the other within a second.
    let revoked = &keys[1];
    for gateway in [&one, &two] {
        let status = client.get(format!("{}/v1/me", gateway.base)).bearer_auth(&revoked.1).send().await.unwrap();
        assert_eq!(status.status(), 200);
    }
    let (status, _, _) = send(post(&one.base, &format!("/v1/api-keys/{}/revoke", revoked.0), &admin, json!({}))).await;
    assert_eq!(status, 200);
    let took = refused_after(&client, &two.base, &revoked.1).await;
    assert!(took < Duration::from_secs(1), "the other gateway accepted a revoked key for {took:?}");

    // A user deactivated on one gateway: their access token is refused by the other within a second.
    let (status, _, user) = send(post(
        &lb.base,
        "/v1/users",
        &admin,
        json!({"email": "rep@scale.test", "name": "Rep", "role": "sales", "password": "correct horse battery"}),
    ))
    .await;
    assert_eq!(status, 201, "{user}");
    let (status, _, token) = send(
        client
            .post(format!("{}/v1/auth/token", lb.base))
            .json(&json!({"email": "rep@scale.test", "password": "correct horse battery"})),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let access = token["access_token"].as_str().unwrap();
    let me = client.get(format!("{}/v1/me", two.base)).bearer_auth(access).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let user_id = user["id"].as_str().unwrap();
    let (status, _, deactivated) =
        send(post(&one.base, &format!("/v1/users/{user_id}/deactivate"), &admin, json!({}))).await;
    assert_eq!((status, deactivated["status"].as_str()), (200, Some("deactivated")));
    let took = refused_after(&client, &two.base, access).await;
    assert!(took < Duration::from_secs(1), "the other gateway accepted a deactivated user for {took:?}");

    // A job created through the balancer is run by the worker process (the gateways run none).
    // The admin key has LIMIT requests a minute too: the polls are spaced.
    let (status, _, export) = send(post(&lb.base, "/v1/exports", &admin, json!({}))).await;
    assert_eq!(status, 202, "{export}");
    let path = format!("/v1/exports/{}", export["id"].as_str().unwrap());
    let started = Instant::now();
    loop {
        let (status, _, job) = send(client.get(format!("{}{path}", lb.base)).bearer_auth(&admin)).await;
        if status == 200 && job["status"] == "succeeded" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the worker did not run the export: {job}");
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    }
    drop(worker);

    // One gateway killed: once HAProxy's check has seen it (200 ms), every request is served
    // by the other; a request caught in between is retried there.
    two.process.kill();
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..10 {
        let (status, gateway, _) = send(client.get(format!("{}/health/ready", lb.base))).await;
        assert_eq!((status, gateway.as_str()), (200, "gateway0"));
    }
}

/// Two gateways counting on a Redis server: the limit holds across them, the database keeps no
/// count, and when Redis is killed each gateway counts alone and goes on serving.
#[actix_web::test]
async fn the_rate_limit_holds_across_gateways_on_redis_and_survives_its_loss() {
    let (url, _database) = temporary_pg_database();
    let admin = init(&url);
    let mut redis = PrivateRedis::start();
    let (limit, redis_url) = (LIMIT.to_string(), redis.url());
    let env = [("CRM_RATE_LIMIT_PER_MINUTE", limit.as_str()), ("CRM_JOB_WORKERS", "0"), ("CRM_REDIS_URL", &redis_url)];
    let one = ServerProcess::start(&url, &env).await;
    let two = ServerProcess::start(&url, &env).await;
    let client = reqwest::Client::new();
    let mut keys = Vec::new();
    for name in ["limited", "alone"] {
        let (status, _, body) = send(
            client
                .post(format!("{}/v1/api-keys", one.base))
                .bearer_auth(&admin)
                .json(&json!({"name": name, "scopes": ["platform:read"]})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        keys.push(body["key"].as_str().unwrap().to_string());
    }

    // Sixty requests, alternating between the gateways: at most LIMIT pass, both refuse some.
    early_in_a_window().await;
    let (mut allowed, mut refused_by) = (0, HashSet::new());
    for i in 0..60 {
        let gateway = if i % 2 == 0 { &one } else { &two };
        let status = client.get(format!("{}/v1/me", gateway.base)).bearer_auth(&keys[0]).send().await.unwrap().status();
        match status.as_u16() {
            200 => allowed += 1,
            429 => {
                refused_by.insert(gateway.base.clone());
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let lease = (LIMIT / 20).max(1);
    assert!((LIMIT - lease..=LIMIT).contains(&allowed), "{allowed} of 60 allowed with a limit of {LIMIT}");
    assert_eq!(refused_by.len(), 2, "both gateways refuse once the shared window is spent");
    // Counted on Redis, not in the database.
    use diesel::prelude::*;
    let counts = redis.command("EVAL \"return #redis.call('keys', 'crm:rate:*')\" 0").unwrap();
    assert!(counts.trim_start_matches(':').parse::<u32>().unwrap() >= 2, "no counts on Redis: {counts}");
    let mut conn = diesel::PgConnection::establish(&url).unwrap();
    let in_database: i64 =
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("(SELECT count(*) FROM rate_limit_counters)"))
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(in_database, 0, "the gateways counted on the database");

    // Redis dies: each gateway counts alone, and a request waits at most for Redis's timeout.
    redis.kill();
    for gateway in [&one, &two] {
        let started = Instant::now();
        let status = client.get(format!("{}/v1/me", gateway.base)).bearer_auth(&keys[1]).send().await.unwrap().status();
        assert_eq!(status, 200);
        assert!(started.elapsed() < Duration::from_secs(2), "a request waited {:?} for Redis", started.elapsed());
    }
}
