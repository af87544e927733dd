//! Lead assignment rules: territories by filter, round robin in turn (under concurrent
//! creations too), the least-loaded member, on creation and on demand.

use std::collections::HashMap;

use crm_test_support::TestApp;
use serde_json::json;

use crate::{both, events, id};

async fn leads_are_assigned_by_territory_and_in_turn(app: TestApp) {
    let mut reps: Vec<String> =
        ["ann", "bob", "cat"].iter().map(|n| app.new_user(&format!("{n}@example.com"), "sales").0).collect();
    reps.sort();
    let (dan, _) = app.new_user("dan@example.com", "sales");
    let everyone = app.post("/v1/teams", &app.admin_key, json!({"name": "US", "member_ids": reps})).await;
    everyone.expect(201);
    let germany = app.post("/v1/teams", &app.admin_key, json!({"name": "DACH", "member_ids": [dan]})).await;

    let rule = |body| app.post("/v1/assignment-rules", &app.admin_key, body);
    rule(json!({"name": "x", "method": "round_robin", "team_id": "team_nope"})).await.expect(422);
    let bad = rule(json!({"name": "x", "method": "round_robin", "team_id": id(&everyone.body), "filter": {"field": "shoe_size", "op": "eq", "value": 1}})).await;
    bad.expect(422);
    assert!(bad.text.contains("/filter/field"), "{}", bad.text);
    app.post(
        "/v1/assignment-rules",
        &app.sales_token,
        json!({"name": "x", "method": "round_robin", "team_id": id(&everyone.body)}),
    )
    .await
    .expect(403);
    let dach = rule(json!({"name": "DACH", "method": "least_loaded", "team_id": id(&germany.body), "priority": 1,
        "filter": {"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}}))
    .await;
    dach.expect(201);
    let turn = rule(json!({"name": "Everyone else", "method": "round_robin", "team_id": id(&everyone.body)})).await;
    turn.expect(201);

    let lead = |body| app.post("/v1/leads", &app.admin_key, body);
    let german = lead(json!({"last_name": "Müller", "country": "DE"})).await;
    assert_eq!(german.body["owner_id"], dan.as_str(), "the territory's rule comes first");
    let mut owners = Vec::new();
    for i in 0..4 {
        let created = lead(json!({"last_name": format!("Smith {i}"), "country": "US"})).await;
        created.expect(201);
        owners.push(created.body["owner_id"].as_str().unwrap().to_string());
    }
    assert_eq!(owners, [reps[0].clone(), reps[1].clone(), reps[2].clone(), reps[0].clone()], "in turn");
    let owned = lead(json!({"last_name": "Mine", "owner_id": dan})).await;
    assert_eq!(owned.body["owner_id"], dan.as_str(), "an owner given stays");

    // On demand: the next in turn.
    let again = app.post(&format!("/v1/leads/{}/assign", id(&owned.body)), &app.sales_token, json!({})).await;
    again.expect(200);
    assert_eq!(again.body["owner_id"], reps[1].as_str());
    let kinds: Vec<String> = events(&app, "lead.assigned").await.into_iter().map(|(t, _)| t).collect();
    assert_eq!(kinds.len(), 6);

    // Concurrent creations go round exactly: every member gets as many, give or take one.
    let replies = futures_util::future::join_all((0..9).map(|i| lead(json!({"last_name": format!("Rush {i}")})))).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for reply in &replies {
        reply.expect(201);
        *counts.entry(reply.body["owner_id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(counts.values().all(|n| *n == 3), "{counts:?}");

    // The least-loaded member of a team.
    app.patch(&format!("/v1/assignment-rules/{}", id(&turn.body)), &app.admin_key, json!({"method": "least_loaded"}))
        .await
        .expect(200);
    for lead_id in [id(&replies[0].body), id(&replies[1].body)] {
        app.patch(
            &format!("/v1/leads/{lead_id}"),
            &app.admin_key,
            json!({"status": "disqualified", "disqualified_reason": "Spam"}),
        )
        .await
        .expect(200);
    }
    let lightest = lead(json!({"last_name": "Light"})).await;
    let freed: Vec<&str> = [&replies[0], &replies[1]].iter().map(|r| r.body["owner_id"].as_str().unwrap()).collect();
    assert!(freed.contains(&lightest.body["owner_id"].as_str().unwrap()), "{} not in {freed:?}", lightest.text);

    // Concurrent creations each see the leads the one before gave: loads even out, not pile up.
    let loads = || async {
        let mut loads = Vec::new();
        for rep in &reps {
            let page = app.get(&format!("/v1/leads?owner_id={rep}&limit=200"), &app.admin_key).await;
            let open = page.body["data"].as_array().unwrap().iter();
            loads
                .push(open.filter(|l| !["converted", "disqualified"].contains(&l["status"].as_str().unwrap())).count());
        }
        loads
    };
    let spread = |loads: &[usize]| loads.iter().max().unwrap() - loads.iter().min().unwrap();
    let before = loads().await;
    let rush = futures_util::future::join_all((0..6).map(|i| lead(json!({"last_name": format!("Even {i}")})))).await;
    rush.iter().for_each(|r| assert_eq!(r.status, 201, "{}", r.text));
    let after = loads().await;
    assert_eq!(after.iter().sum::<usize>(), before.iter().sum::<usize>() + 6);
    assert!(spread(&after) <= spread(&before).max(1), "{before:?} → {after:?}");

    // No rule: nothing to assign by.
    for rule_id in [id(&dach.body), id(&turn.body)] {
        app.delete(&format!("/v1/assignment-rules/{rule_id}"), &app.admin_key).await.expect(204);
    }
    let none = lead(json!({"last_name": "Nobody's"})).await;
    assert_eq!(none.body["owner_id"], serde_json::Value::Null);
    app.post(&format!("/v1/leads/{}/assign", id(&none.body)), &app.admin_key, json!({}))
        .await
        .expect_problem(409, "no_rule_applies");
    app.post(&format!("/v1/leads/{}/assign", id(&none.body)), &app.other_org_key, json!({})).await.expect(404);
}

both!(leads_are_assigned_by_territory_and_in_turn);
