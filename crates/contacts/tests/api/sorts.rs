//! Every sort of every listed resource pages through each record exactly once, both ways,
//! with nulls and ties: the sort specification (`SORTS`) drives the test as it drives the lists.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::both;
use crate::support::TestApp;

both!(every_sort_pages_through_every_record_once);

async fn ids_in_order(app: &TestApp, path: &str, sort: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}?limit=2&sort={sort}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&url, &app.admin_key).await;
        page.expect(200);
        ids.extend(page.body["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return ids,
        }
        assert!(ids.len() < 100, "{path} sorted by {sort} does not end");
    }
}

async fn check(app: &TestApp, path: &str, bodies: Vec<Value>, sorts: Vec<&str>) {
    let mut all = BTreeSet::new();
    for body in bodies {
        let reply = app.post(path, &app.admin_key, body).await;
        reply.expect(201);
        all.insert(reply.body["id"].as_str().unwrap().to_string());
    }
    for name in sorts.into_iter().chain(["custom.tier"]) {
        for sort in [name.to_string(), format!("-{name}")] {
            let ids = ids_in_order(app, path, &sort).await;
            assert_eq!(ids.len(), all.len(), "{path} sorted by {sort}: {ids:?}");
            assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), all, "{path} sorted by {sort}");
        }
    }
}

async fn every_sort_pages_through_every_record_once(app: TestApp) {
    for record_type in ["contact", "company"] {
        let field = json!({"record_type": record_type, "key": "tier", "label": "Tier", "type": "text"});
        app.post("/v1/custom-fields", &app.admin_key, field).await.expect(201);
    }
    // Ties (same names, same stage) and nulls (no e-mail, no job title, no tier) on purpose.
    let contacts = vec![
        json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@example.com"}], "job_title": "CTO", "custom": {"tier": "gold"}}),
        json!({"first_name": "Ada", "last_name": "Lovelace", "lead_source": "webinar"}),
        json!({"first_name": "Bob", "phones": [{"number": "+14155550100"}], "custom": {"tier": "gold"}}),
        json!({"last_name": "Zed", "lifecycle_stage": "customer", "owner_id": app.sales_id}),
        json!({"emails": [{"address": "only@example.com"}], "job_title": "CTO"}),
    ];
    let sorts = crm_contacts::contact::model::SORTS.fields.iter().map(|f| f.name).collect();
    check(&app, "/v1/contacts", contacts, sorts).await;
    let companies = vec![
        json!({"name": "Acme", "domain": "acme.example", "employee_count": 250, "custom": {"tier": "gold"}}),
        json!({"name": "Acme", "employee_count": 250}),
        json!({"name": "Globex", "industry": "Energy", "annual_revenue": {"amount": 1000000, "currency": "USD"}}),
        json!({"name": "Initech", "employee_count": 12, "owner_id": app.sales_id}),
        json!({"name": "Umbrella"}),
    ];
    let sorts = crm_contacts::company::model::SORTS.fields.iter().map(|f| f.name).collect();
    check(&app, "/v1/companies", companies, sorts).await;
}
