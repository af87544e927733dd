//! Currency rates, forecasts by owner, pipeline and team in the organization's currency, and
//! quotas with their attainment.

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, pipeline};

fn money(amount: i64, currency: &str) -> Value {
    json!({"amount": amount, "currency": currency})
}

async fn forecasts_convert_weigh_and_group(app: TestApp) {
    // Rates: checked, replaced whole, managers and admins only.
    let unset = app.get("/v1/currency-rates", &app.read_only_token).await;
    unset.expect(200);
    assert_eq!(unset.body["base_currency"], Value::Null);
    let rates = json!({"base_currency": "USD", "rates": [{"currency": "EUR", "rate": "1.1"}, {"currency": "JPY", "rate": "0.0067"}]});
    app.put("/v1/currency-rates", &app.sales_token, rates.clone()).await.expect(403);
    for (bad, pointer) in [
        (json!({"base_currency": "usd", "rates": []}), "/base_currency"),
        (json!({"base_currency": "USD", "rates": [{"currency": "EUR", "rate": "-1"}]}), "/rates/0/rate"),
        (json!({"base_currency": "USD", "rates": [{"currency": "USD", "rate": "1"}]}), "/rates/0/currency"),
        (json!({"base_currency": "USD", "rates": [{"currency": "EUR", "rate": "1.0000000001"}]}), "/rates/0/rate"),
    ] {
        let reply = app.put("/v1/currency-rates", &app.admin_key, bad).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{pointer}: {}", reply.text);
    }
    let set = app.put("/v1/currency-rates", &app.admin_key, rates.clone()).await;
    set.expect(200);
    assert_eq!(set.body["rates"], json!([{"currency": "EUR", "rate": "1.1"}, {"currency": "JPY", "rate": "0.0067"}]));
    let again = app.put("/v1/currency-rates", &app.admin_key, rates).await;
    assert_eq!(again.body["version"], set.body["version"], "the same rates again change nothing");
    let theirs = app.get("/v1/currency-rates", &app.other_org_key).await;
    assert_eq!(theirs.body["base_currency"], Value::Null);

    // Deals of two reps closing in 2026-Q4 (and one after), in three currencies and one without a rate.
    let (pipe, stages) = pipeline(&app, "Sales").await;
    let (ann, ann_token) = app.new_user("ann@example.com", "sales");
    let (bob, _) = app.new_user("bob@example.com", "sales");
    for (owner, stage, amount, category, close) in [
        (&ann, &stages[3], money(100000, "USD"), None, "2026-11-20"),
        (&ann, &stages[2], money(50000, "EUR"), Some("commit"), "2026-12-01"),
        (&ann, &stages[1], money(20000, "USD"), Some("best_case"), "2026-10-05"),
        (&bob, &stages[0], money(10000, "JPY"), None, "2026-11-11"),
        (&bob, &stages[4], money(99999, "USD"), None, "2026-11-11"),
        (&bob, &stages[0], money(70000, "GBP"), None, "2026-11-11"),
        (&bob, &stages[0], money(12345, "USD"), None, "2027-01-02"),
    ] {
        let mut body = json!({"name": "D", "owner_id": owner, "stage_id": stage, "amount": amount, "close_date": close, "lost_reason": "x"});
        if let Some(category) = category {
            body["forecast_category"] = json!(category);
        }
        app.post("/v1/deals", &app.admin_key, body).await.expect(201);
    }
    let forecast = app.get("/v1/forecasts?period=2026-Q4&group_by=owner", &app.read_only_token).await;
    forecast.expect(200);
    assert_eq!(
        (forecast.body["start"].as_str(), forecast.body["end"].as_str()),
        (Some("2026-10-01"), Some("2026-12-31"))
    );
    assert_eq!(forecast.body["currency"], "USD");
    assert_eq!(forecast.body["unconverted_currencies"], json!(["GBP"]));
    let row =
        |owner: &str| forecast.body["rows"].as_array().unwrap().iter().find(|r| r["key"] == owner).cloned().unwrap();
    let ann_row = row(&ann);
    assert_eq!(ann_row["closed_won"], money(100000, "USD"));
    assert_eq!(ann_row["commit"], money(55000, "USD"), "€500.00 at 1.1");
    assert_eq!(ann_row["best_case"], money(20000, "USD"));
    // Weighted: €500 × 70 % = $385.00, $200 × 40 % = $80.00.
    assert_eq!(ann_row["weighted"], money(46500, "USD"));
    assert_eq!(ann_row["deal_count"], 3);
    let bob_row = row(&bob);
    assert_eq!(bob_row["pipeline"], money(6700, "USD"), "¥10,000 at 0.0067, the lost deal left out");
    assert_eq!(bob_row["weighted"], money(670, "USD"));
    assert_eq!(forecast.body["totals"]["closed_won"], money(100000, "USD"));
    assert_eq!(forecast.body["totals"]["deal_count"], 4);

    let by_pipeline =
        app.get(&format!("/v1/forecasts?period=2026-Q4&group_by=pipeline&pipeline_id={pipe}"), &app.admin_key).await;
    assert_eq!(by_pipeline.body["rows"][0]["key"], pipe.as_str());
    let team = app.post("/v1/teams", &app.admin_key, json!({"name": "East", "member_ids": [ann]})).await;
    team.expect(201);
    let by_team = app.get("/v1/forecasts?period=2026-Q4&group_by=team", &app.admin_key).await;
    assert_eq!(by_team.body["rows"].as_array().unwrap().len(), 1, "{}", by_team.text);
    assert_eq!(by_team.body["rows"][0]["key"], team.body["id"]);
    assert_eq!(by_team.body["rows"][0]["closed_won"], money(100000, "USD"));
    assert_eq!(by_team.body["totals"]["deal_count"], 4, "the totals count deals of owners in no team too");
    let november = app.get("/v1/forecasts?period=2026-11", &app.admin_key).await;
    assert_eq!(november.body["totals"]["deal_count"], 2, "{}", november.text);
    // A rep who sees only their deals gets the sums of their deals (summed from the deals, not
    // the running totals): the same as the admin's figures for that owner.
    let visibility = json!({"rules": [{"role": "sales", "record_type": "deal", "visibility": "own"}]});
    app.put("/v1/organization/record-visibility", &app.admin_key, visibility).await.expect(200);
    let hers = app.get("/v1/forecasts?period=2026-Q4", &ann_token).await;
    let for_her = app.get(&format!("/v1/forecasts?period=2026-Q4&owner_id={ann}"), &app.admin_key).await;
    assert_eq!(hers.body["totals"], for_her.body["totals"], "{}", hers.text);
    assert_eq!(hers.body["totals"]["deal_count"], 3);
    let her_board = app.get(&format!("/v1/pipelines/{pipe}/board"), &ann_token).await;
    let board_for_her = app.get(&format!("/v1/pipelines/{pipe}/board?owner_id={ann}"), &app.admin_key).await;
    assert_eq!(her_board.body["totals"], board_for_her.body["totals"], "{}", her_board.text);
    assert_eq!(her_board.body["totals"]["count"], 2);
    app.get("/v1/forecasts?period=2026-Q5", &app.admin_key).await.expect(400);
    let theirs = app.get("/v1/forecasts?period=2026-Q4", &app.other_org_key).await;
    assert_eq!(theirs.body["totals"]["deal_count"], 0);

    // Quotas and attainment.
    let quota = json!({"user_id": ann, "period": "2026-Q4", "amount": money(200000, "USD")});
    app.post("/v1/quotas", &app.sales_token, quota.clone()).await.expect(403);
    let created = app.post("/v1/quotas", &app.admin_key, quota.clone()).await;
    created.expect(201);
    assert_eq!(created.body["attainment"]["closed_won"], money(100000, "USD"));
    assert_eq!(created.body["attainment"]["percent"], 50.0);
    app.post("/v1/quotas", &app.admin_key, quota).await.expect_problem(409, "duplicate_quota");
    app.post(
        "/v1/quotas",
        &app.admin_key,
        json!({"user_id": "usr_nobody", "period": "2026-Q4", "amount": money(1, "USD")}),
    )
    .await
    .expect(422);
    app.post("/v1/quotas", &app.admin_key, json!({"user_id": bob, "period": "2026-Q9", "amount": money(1, "USD")}))
        .await
        .expect(422);
    let in_euros = app
        .patch(
            &format!("/v1/quotas/{}", created.body["id"].as_str().unwrap()),
            &app.admin_key,
            json!({"amount": money(100000, "EUR")}),
        )
        .await;
    in_euros.expect(200);
    assert_eq!(in_euros.body["attainment"]["quota"], money(110000, "USD"));
    assert_eq!(in_euros.body["attainment"]["percent"], 90.91);
    let listed = app.get("/v1/quotas?period=2026-Q4", &app.read_only_token).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    app.get(&format!("/v1/quotas/{}", created.body["id"].as_str().unwrap()), &app.other_org_key).await.expect(404);
    crate::assert_totals_match(&app);
}

both!(forecasts_convert_weigh_and_group);
