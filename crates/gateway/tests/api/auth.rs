//! Authentication: API keys, access tokens, bad credentials of every kind, health without any.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::both;
use crate::support::{TestApp, token_for};

both!(
    health_needs_no_credentials,
    me_answers_for_each_credential,
    bad_credentials_are_401,
    sign_in_refresh_and_sign_out,
    invitation_flow,
    deactivated_user_loses_access,
    credentials_follow_role_changes,
    password_can_be_set_and_changed
);

async fn health_needs_no_credentials(app: TestApp) {
    app.get("/health/live", "").await.expect(200);
    let ready = app.get("/health/ready", "").await;
    ready.expect(200);
    assert_eq!(ready.body["status"], "ok");
    // With a migration missing, not ready: a problem, and when to look again.
    use diesel::prelude::*;
    let last: String = diesel::sql_query("SELECT MAX(version) AS version FROM __diesel_schema_migrations")
        .get_result::<Version>(&mut *app.conn())
        .unwrap()
        .version;
    let forget = format!("DELETE FROM __diesel_schema_migrations WHERE version = '{last}'");
    diesel::sql_query(forget).execute(&mut *app.conn()).unwrap();
    let pending = app.get("/health/ready", "").await;
    pending.expect_problem(503, "not_ready");
    assert_eq!(pending.header("retry-after"), Some("5"));
    let restore = format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{last}')");
    diesel::sql_query(restore).execute(&mut *app.conn()).unwrap();
    app.get("/health/ready", "").await.expect(200);
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

async fn me_answers_for_each_credential(app: TestApp) {
    let me = app.get("/v1/me", &app.admin_key).await;
    me.expect(200);
    assert_eq!(me.body["user"]["id"], app.admin_id);
    assert_eq!(me.body["organization"]["id"], app.org_id);
    assert_eq!(me.body["principal_type"], "api_key");
    assert_eq!(me.body["scopes"], json!(["*"]));
    assert!(me.header("x-request-id").is_some_and(|r| r.starts_with("req_")));

    let me = app.get("/v1/me", &app.sales_token).await;
    me.expect(200);
    assert_eq!(me.body["user"]["id"], app.sales_id);
    assert_eq!(me.body["principal_type"], "user");
    assert_eq!(me.body["role"], "sales");

    let echoed = app.send(app.client.get(app.url("/v1/me")).header("X-Request-Id", "trace-123"), &app.admin_key).await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-123"));
}

async fn bad_credentials_are_401(app: TestApp) {
    app.get("/v1/me", "").await.expect_problem(401, "unauthorized");
    app.get("/v1/me", "crm_sk_not-a-real-key").await.expect_problem(401, "unauthorized");
    app.get("/v1/me", "garbage").await.expect_problem(401, "unauthorized");
    let raw = app.send(app.client.get(app.url("/v1/me")).header("Authorization", "Basic abc"), "").await;
    raw.expect_problem(401, "unauthorized");

    // Tampered payload, alg none, expired, signed with another key.
    let token = app.sales_token.clone();
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(
        json!({"sub": app.sales_id, "org": app.org_id, "role": "admin", "iat": 0, "exp": 9999999999i64}).to_string(),
    );
    app.get("/v1/me", &format!("{}.{}.{}", parts[0], forged_claims, parts[2])).await.expect(401);
    let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    app.get("/v1/me", &format!("{none}.{forged_claims}.")).await.expect(401);
    let now = chrono::Utc::now().timestamp();
    let expired = app
        .state
        .keys
        .issue_access_token(&crm_core::auth::secrets::AccessClaims {
            sub: app.sales_id.clone(),
            org: app.org_id.clone(),
            role: "sales".into(),
            iat: now - 100,
            exp: now - 10,
        })
        .unwrap();
    app.get("/v1/me", &expired).await.expect(401);
    let other_keys = crm_core::auth::secrets::Keys::new("another-secret-another-secret-another-secret");
    let foreign = other_keys
        .issue_access_token(&crm_core::auth::secrets::AccessClaims {
            sub: app.sales_id.clone(),
            org: app.org_id.clone(),
            role: "admin".into(),
            iat: now,
            exp: now + 60,
        })
        .unwrap();
    app.get("/v1/me", &foreign).await.expect(401);
}

async fn sign_in_refresh_and_sign_out(app: TestApp) {
    let created = app
        .post(
            "/v1/users",
            &app.admin_key,
            json!({"email": "Rep@Acme.test", "name": "Rep", "role": "sales", "password": "correct horse battery"}),
        )
        .await;
    created.expect(201);
    assert_eq!(created.body["email"], "rep@acme.test");

    app.post("/v1/auth/token", "", json!({"email": "rep@acme.test", "password": "wrong password!"}))
        .await
        .expect_problem(401, "invalid_credentials");
    app.post("/v1/auth/token", "", json!({"email": "nobody@acme.test", "password": "whatever"}))
        .await
        .expect_problem(401, "invalid_credentials");
    app.post("/v1/auth/token", "", json!({"email": "rep@acme.test"})).await.expect(422);

    let signed_in =
        app.post("/v1/auth/token", "", json!({"email": "REP@acme.test", "password": "correct horse battery"})).await;
    signed_in.expect(200);
    assert_eq!(signed_in.body["token_type"], "Bearer");
    let access = signed_in.body["access_token"].as_str().unwrap().to_string();
    let refresh = signed_in.body["refresh_token"].as_str().unwrap().to_string();
    let me = app.get("/v1/me", &access).await;
    me.expect(200);
    assert!(me.body["user"]["last_login_at"].is_string());

    // Rotation: the old refresh token is used up; using it again revokes the whole family.
    let rotated = app.post("/v1/auth/refresh", "", json!({"refresh_token": refresh})).await;
    rotated.expect(200);
    let newer = rotated.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(newer, refresh);
    app.post("/v1/auth/refresh", "", json!({"refresh_token": refresh})).await.expect(401);
    app.post("/v1/auth/refresh", "", json!({"refresh_token": newer})).await.expect(401);

    // Sign out revokes the family of a fresh sign-in.
    let again =
        app.post("/v1/auth/token", "", json!({"email": "rep@acme.test", "password": "correct horse battery"})).await;
    let refresh = again.body["refresh_token"].as_str().unwrap().to_string();
    app.post("/v1/auth/logout", "", json!({"refresh_token": refresh})).await.expect(204);
    app.post("/v1/auth/refresh", "", json!({"refresh_token": refresh})).await.expect(401);
}

async fn invitation_flow(app: TestApp) {
    let invited = app
        .post("/v1/users", &app.admin_key, json!({"email": "new@acme.test", "name": "New", "role": "support"}))
        .await;
    invited.expect(201);
    assert_eq!(invited.body["status"], "invited");
    let token = invited.body["invitation_token"].as_str().unwrap().to_string();
    app.post("/v1/auth/token", "", json!({"email": "new@acme.test", "password": "anything at all"})).await.expect(401);
    app.post("/v1/auth/accept-invitation", "", json!({"invitation_token": token, "password": "short"}))
        .await
        .expect(422);
    let accepted = app
        .post(
            "/v1/auth/accept-invitation",
            "",
            json!({"invitation_token": token, "password": "a long enough password"}),
        )
        .await;
    accepted.expect(200);
    let me = app.get("/v1/me", accepted.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.body["user"]["status"], "active");
    app.post(
        "/v1/auth/accept-invitation",
        "",
        json!({"invitation_token": token, "password": "a long enough password"}),
    )
    .await
    .expect(401);
    assert!(app.event_types().contains(&"user.activated".to_string()));
}

async fn deactivated_user_loses_access(app: TestApp) {
    let user = app.post("/v1/users", &app.admin_key, json!({"email": "admin2@acme.test", "name": "Second", "role": "admin", "password": "correct horse battery"})).await;
    let user_id = user.body["id"].as_str().unwrap().to_string();
    let token = token_for(&app.state, &app.org_id, &user_id, "admin");
    let key = app.post("/v1/api-keys", &token, json!({"name": "theirs"})).await;
    key.expect(201);
    let their_key = key.body["key"].as_str().unwrap().to_string();
    app.get("/v1/me", &their_key).await.expect(200);
    let signed_in =
        app.post("/v1/auth/token", "", json!({"email": "admin2@acme.test", "password": "correct horse battery"})).await;
    let refresh = signed_in.body["refresh_token"].as_str().unwrap().to_string();

    let deactivated = app.post(&format!("/v1/users/{user_id}/deactivate"), &app.admin_key, json!({})).await;
    deactivated.expect(200);
    assert_eq!(deactivated.body["status"], "deactivated");
    app.get("/v1/me", &their_key).await.expect(401);
    app.get("/v1/me", &token).await.expect(401);
    app.post("/v1/auth/refresh", "", json!({"refresh_token": refresh})).await.expect(401);
    app.post("/v1/auth/token", "", json!({"email": "admin2@acme.test", "password": "correct horse battery"}))
        .await
        .expect(401);

    app.post(&format!("/v1/users/{user_id}/reactivate"), &app.admin_key, json!({})).await.expect(200);
    app.get("/v1/me", &their_key).await.expect(200);

    // The last active admin cannot be deactivated or demoted.
    app.post(&format!("/v1/users/{user_id}/deactivate"), &app.admin_key, json!({})).await.expect(200);
    let admin = app.admin_id.clone();
    app.post(&format!("/v1/users/{admin}/deactivate"), &app.admin_key, json!({}))
        .await
        .expect_problem(409, "last_admin");
    app.patch(&format!("/v1/users/{admin}"), &app.admin_key, json!({"role": "sales"}))
        .await
        .expect_problem(409, "last_admin");
}

async fn credentials_follow_role_changes(app: TestApp) {
    let user = app
        .post(
            "/v1/users",
            &app.admin_key,
            json!({"email": "boss@acme.test", "name": "Boss", "role": "admin", "password": "a long enough password"}),
        )
        .await;
    let user_id = user.body["id"].as_str().unwrap().to_string();
    let token = token_for(&app.state, &app.org_id, &user_id, "admin");
    let key =
        app.post("/v1/api-keys", &token, json!({"name": "boss key"})).await.body["key"].as_str().unwrap().to_string();
    app.get("/v1/api-keys", &key).await.expect(200);
    app.get("/v1/api-keys", &token).await.expect(200);

    app.patch(&format!("/v1/users/{user_id}"), &app.admin_key, json!({"role": "read_only"})).await.expect(200);
    app.get("/v1/api-keys", &key).await.expect_problem(403, "forbidden");
    app.get("/v1/api-keys", &token).await.expect_problem(403, "forbidden");
    assert_eq!(app.get("/v1/me", &token).await.body["role"], "read_only");

    // A token minted for another organization's user does not open this one.
    let forged = token_for(&app.state, &app.org_id, "user_01m82hjr99ejvtzevs1pvg4hk6", "admin");
    app.get("/v1/me", &forged).await.expect(401);
}

async fn password_can_be_set_and_changed(app: TestApp) {
    // The admin `crm init` creates has no password until they set one.
    app.post("/v1/auth/token", "", json!({"email": "admin@acme.test", "password": "first password!"}))
        .await
        .expect(401);
    app.post("/v1/me/password", &app.admin_key, json!({"new_password": "short"})).await.expect(422);
    app.post("/v1/me/password", &app.admin_key, json!({"new_password": "first password!"})).await.expect(204);
    let signed_in =
        app.post("/v1/auth/token", "", json!({"email": "admin@acme.test", "password": "first password!"})).await;
    signed_in.expect(200);
    let refresh = signed_in.body["refresh_token"].as_str().unwrap().to_string();

    app.post("/v1/me/password", &app.admin_key, json!({"new_password": "second password!"})).await.expect(422);
    let wrong = app
        .post(
            "/v1/me/password",
            &app.admin_key,
            json!({"current_password": "nope", "new_password": "second password!"}),
        )
        .await;
    wrong.expect(422);
    assert_eq!(wrong.body["errors"][0]["pointer"], "/current_password");
    app.post(
        "/v1/me/password",
        &app.admin_key,
        json!({"current_password": "first password!", "new_password": "second password!"}),
    )
    .await
    .expect(204);
    app.post("/v1/auth/refresh", "", json!({"refresh_token": refresh})).await.expect(401);
    app.post("/v1/auth/token", "", json!({"email": "admin@acme.test", "password": "first password!"}))
        .await
        .expect(401);
    app.post("/v1/auth/token", "", json!({"email": "admin@acme.test", "password": "second password!"}))
        .await
        .expect(200);
    assert!(app.event_types().contains(&"user.password_changed".to_string()));

    let narrow = app.post("/v1/api-keys", &app.admin_key, json!({"name": "narrow", "scopes": ["events:read"]})).await;
    let narrow = narrow.body["key"].as_str().unwrap().to_string();
    app.post(
        "/v1/me/password",
        &narrow,
        json!({"current_password": "second password!", "new_password": "third password!!"}),
    )
    .await
    .expect(403);
}
