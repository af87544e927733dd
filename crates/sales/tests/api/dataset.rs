//! `../shared/datasets/crm-sales-opportunities` (Maven Analytics' CRM Sales Opportunities:
//! 85 accounts, 8,800 opportunities) imported through the API, when the folder is there; the
//! product's own summary must reproduce the published figures: a win rate of 63.15% and won
//! revenue of $10,005,534.

use std::collections::HashMap;

use crm_test_support::{Backend, TestApp};
use serde_json::{Value, json};

use crate::id;

fn dataset() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/crm-sales-opportunities");
    dir.join("sales_pipeline.csv").exists().then_some(dir)
}

/// The rows of a CSV file with a header, as maps (the files hold no quoted commas).
fn rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| header.iter().cloned().zip(l.split(',').map(|v| v.trim().to_string())).collect())
        .collect()
}

async fn the_sales_opportunities_reproduce_their_figures(app: TestApp) {
    let Some(dir) = dataset() else { return };
    let pipeline = json!({"name": "Maven", "stages": [
        {"name": "Prospecting", "probability": 10}, {"name": "Engaging", "probability": 50},
        {"name": "Won", "kind": "won"}, {"name": "Lost", "kind": "lost"}
    ]});
    let created = app.post("/v1/pipelines", &app.admin_key, pipeline).await;
    created.expect(201);
    let stage: HashMap<String, String> = created.body["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), id(s)))
        .collect();

    let mut companies = HashMap::new();
    for account in rows(&dir.join("accounts.csv")) {
        let body = json!({"name": account["account"], "industry": account["sector"], "external_ids": {"maven": account["account"]}});
        let reply = app.post("/v1/companies", &app.admin_key, body).await;
        reply.expect(201);
        companies.insert(account["account"].clone(), id(&reply.body));
    }

    let opportunities = rows(&dir.join("sales_pipeline.csv"));
    assert_eq!(opportunities.len(), 8800);
    let bodies: Vec<Value> = opportunities
        .iter()
        .map(|o| {
            let mut body = json!({
                "name": format!("{} for {}", o["product"], if o["account"].is_empty() { "(no account)" } else { &o["account"] }),
                "stage_id": stage[&o["deal_stage"]],
                "external_ids": {"maven": o["opportunity_id"]},
            });
            if let Some(company) = companies.get(&o["account"]) {
                body["company_id"] = json!(company);
            }
            if !o["close_value"].is_empty() {
                let dollars: i64 = o["close_value"].parse().unwrap();
                body["amount"] = json!({"amount": dollars * 100, "currency": "USD"});
            }
            if !o["close_date"].is_empty() {
                body["close_date"] = json!(o["close_date"]);
            }
            if o["deal_stage"] == "Lost" {
                body["lost_reason"] = json!("Lost (Maven data set)");
            }
            body
        })
        .collect();
    for chunk in bodies.chunks(16) {
        let replies =
            futures_util::future::join_all(chunk.iter().map(|b| app.post("/v1/deals", &app.admin_key, b.clone())))
                .await;
        for reply in replies {
            reply.expect(201);
        }
    }

    let summary = app.get(&format!("/v1/deals/summary?pipeline_id={}", id(&created.body)), &app.admin_key).await;
    summary.expect(200);
    assert_eq!(summary.body["won"]["count"], 4238);
    assert_eq!(summary.body["lost"]["count"], 2473);
    assert_eq!(summary.body["open"]["count"], 2089);
    assert_eq!(summary.body["win_rate"], 0.6315);
    assert_eq!(summary.body["won"]["amounts"], json!([{"amount": 1_000_553_400, "currency": "USD"}]), "$10,005,534");
}

/// The import sends 8,800 requests: more than the default rate limit lets one key send.
async fn app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &[("CRM_RATE_LIMIT_PER_MINUTE", "1000000")]).await
}

mod the_sales_opportunities {
    #[actix_web::test]
    async fn sqlite() {
        super::the_sales_opportunities_reproduce_their_figures(super::app(crm_test_support::Backend::Sqlite).await)
            .await
    }
    #[actix_web::test]
    async fn postgres() {
        super::the_sales_opportunities_reproduce_their_figures(super::app(crm_test_support::Backend::Postgres).await)
            .await
    }
}
