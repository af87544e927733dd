//! The cross-cutting conventions: idempotency keys, rate limits, CORS, error format of actix's own errors.

use serde_json::json;

use crate::both;
use crate::support::{Backend, TestApp};

both!(idempotent_post_replays, unknown_paths_and_methods_are_problems);

async fn idempotent_post_replays(app: TestApp) {
    let body = json!({"email": "once@acme.test", "name": "Once", "role": "sales"});
    let send = |key: &'static str, body: serde_json::Value| {
        let request = app.client.post(app.url("/v1/users")).header("Idempotency-Key", key).json(&body);
        app.send(request, &app.admin_key)
    };
    let first = send("create-once-1", body.clone()).await;
    first.expect(201);
    assert!(first.header("idempotent-replayed").is_none());
    let users = app.count("users");

    let replay = send("create-once-1", body.clone()).await;
    replay.expect(201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("location"), first.header("location"));
    assert_eq!(app.count("users"), users, "the replay created nothing");

    let different = send("create-once-1", json!({"email": "twice@acme.test", "name": "Twice", "role": "sales"})).await;
    different.expect_problem(409, "idempotency_key_reused");
    assert_eq!(app.count("users"), users);

    // An error response is replayed too (it is the answer to that request)…
    let conflict = send("dup-email", body.clone()).await;
    conflict.expect_problem(409, "email_taken");
    let conflict_again = send("dup-email", body.clone()).await;
    assert_eq!(conflict_again.status, 409);
    assert_eq!(conflict_again.header("idempotent-replayed"), Some("true"));
    assert_eq!(conflict_again.body["code"], "email_taken", "the stored problem is replayed as it was");
    assert_eq!(conflict_again.header("content-type"), Some("application/problem+json"));
    assert_eq!(replay.header("etag"), first.header("etag"));

    // …and the key is per principal.
    let other = app
        .send(
            app.client.post(app.url("/v1/users")).header("Idempotency-Key", "create-once-1").json(&body),
            &app.other_org_key,
        )
        .await;
    other.expect(201);
    assert!(other.header("idempotent-replayed").is_none());

    // A key is committed with its answer; a row without one (from an older server) is stale
    // and taken over.
    let mut conn = app.conn();
    use crm_core::schema::idempotency_keys as k;
    use diesel::prelude::*;
    let principal: String = crm_core::schema::api_keys::table
        .filter(crm_core::schema::api_keys::org_id.eq(&app.org_id))
        .select(crm_core::schema::api_keys::id)
        .first(&mut *conn)
        .unwrap();
    let stale_body = json!({"email": "stale@acme.test", "name": "Stale", "role": "sales"});
    diesel::insert_into(k::table)
        .values((
            k::org_id.eq(&app.org_id),
            k::principal_id.eq(&principal),
            k::key.eq("stale"),
            k::request_hash.eq(crm_core::auth::secrets::sha256_hex(format!("POST /v1/users\n{stale_body}").as_bytes())),
            k::created_at.eq(crm_core::time::now()),
        ))
        .execute(&mut *conn)
        .unwrap();
    drop(conn);
    send("stale", stale_body).await.expect(201);

    // The same key twice at once: one creates; the other gets its answer or a 409 in progress.
    let twin = json!({"email": "twin@acme.test", "name": "Twin", "role": "sales"});
    let (a, b) = futures_util::future::join(send("twin", twin.clone()), send("twin", twin.clone())).await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert!(statuses == [201, 201] || statuses == [201, 409], "{statuses:?}");
    let fresh = [&a, &b].iter().filter(|r| r.status == 201 && r.header("idempotent-replayed").is_none()).count();
    assert_eq!(fresh, 1, "exactly one of the two ran");
    for reply in [&a, &b].into_iter().filter(|r| r.status == 409) {
        assert_eq!(reply.body["code"], "idempotency_in_progress");
    }
    let twins = app.get("/v1/users?email=twin@acme.test", &app.admin_key).await;
    assert_eq!(twins.body["data"].as_array().unwrap().len(), 1);
}

async fn unknown_paths_and_methods_are_problems(app: TestApp) {
    app.get("/nothing/here", "").await.expect_problem(404, "not_found");
    // A known path with another method: 405, and what it takes.
    let wrong_method = app.send(app.client.delete(app.url("/v1/me")), &app.admin_key).await;
    wrong_method.expect_problem(405, "method_not_allowed");
    assert_eq!(wrong_method.header("allow"), Some("GET"));
    let on_a_record = app.send(app.client.put(app.url("/v1/contacts/con_123")), &app.admin_key).await;
    on_a_record.expect_problem(405, "method_not_allowed");
    assert_eq!(on_a_record.header("allow"), Some("GET, PATCH, DELETE"));
    // The most literal template decides: /v1/contacts/batch is not /v1/contacts/{id}.
    let on_batch = app.send(app.client.put(app.url("/v1/contacts/batch")), &app.admin_key).await;
    on_batch.expect_problem(405, "method_not_allowed");
    assert_eq!(on_batch.header("allow"), Some("POST"));
    app.send(app.client.delete(app.url("/v1/nothing/here")), &app.admin_key).await.expect_problem(404, "not_found");
    let spec = app.get("/openapi.json", "").await;
    spec.expect(200);
    assert_eq!(spec.body["openapi"], "3.1.0");
}

#[actix_web::test]
async fn rate_limit_sqlite() {
    rate_limit(Backend::Sqlite).await
}

#[actix_web::test]
async fn rate_limit_postgres() {
    rate_limit(Backend::Postgres).await
}

async fn rate_limit(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("CRM_RATE_LIMIT_PER_MINUTE", "5"), ("CRM_RATE_LIMIT_ANONYMOUS_PER_MINUTE", "3")],
    )
    .await;
    let mut last = None;
    for _ in 0..5 {
        let reply = app.get("/v1/me", &app.admin_key).await;
        if reply.status == 429 {
            // The minute window turned over mid-test: the limiter is still counting right.
            return;
        }
        reply.expect(200);
        assert_eq!(reply.header("ratelimit-limit"), Some("5"));
        last = reply.header("ratelimit-remaining").map(str::to_string);
    }
    assert_eq!(last.as_deref(), Some("0"));
    let limited = app.get("/v1/me", &app.admin_key).await;
    limited.expect_problem(429, "rate_limited");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    // Another principal has its own budget.
    app.get("/v1/me", &app.sales_token).await.expect(200);
    // Failed authentication counts against the client's address: guessing keys is limited too.
    let statuses: Vec<u16> = futures_util::future::join_all((0..4).map(|_| app.get("/v1/me", "crm_sk_guess")))
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert!(statuses.contains(&401) && statuses.contains(&429), "{statuses:?}");
}

#[actix_web::test]
async fn cors_allows_configured_origins() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("CRM_CORS_ORIGINS", "https://app.example.com")]).await;
    let preflight = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/v1/me"))
                .header("Origin", "https://app.example.com")
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization"),
            "",
        )
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("https://app.example.com"));
    let ok =
        app.send(app.client.get(app.url("/v1/me")).header("Origin", "https://app.example.com"), &app.admin_key).await;
    assert_eq!(ok.header("access-control-allow-origin"), Some("https://app.example.com"));
    let evil =
        app.send(app.client.get(app.url("/v1/me")).header("Origin", "https://evil.example.com"), &app.admin_key).await;
    assert!(evil.header("access-control-allow-origin").is_none());
}
