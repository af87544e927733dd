//! Products, price books, quotes and orders: exact totals, gap-free numbers under concurrent
//! creations, the quote's life, the order it becomes, and purchase histories.

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, events, id};

fn usd(amount: i64) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

async fn product(app: &TestApp, sku: &str, usd_price: i64) -> String {
    let created = app
        .post("/v1/products", &app.admin_key, json!({"sku": sku, "name": format!("{sku} unit"), "prices": [usd(usd_price), {"amount": usd_price - 100, "currency": "EUR"}]}))
        .await;
    created.expect(201);
    id(&created.body)
}

async fn products_and_price_books(app: TestApp) {
    let gtx = product(&app, "GTX-PRO", 482100).await;
    let got = app.get(&format!("/v1/products/{gtx}"), &app.read_only_token).await;
    got.expect(200);
    assert_eq!(got.body["prices"], json!([{"amount": 482000, "currency": "EUR"}, usd(482100)]));
    app.post("/v1/products", &app.admin_key, json!({"sku": "GTX-PRO", "name": "Again"}))
        .await
        .expect_problem(409, "duplicate_sku");
    app.post("/v1/products", &app.sales_token, json!({"sku": "X", "name": "X"})).await.expect(403);
    let twice = json!({"sku": "Y", "name": "Y", "prices": [usd(1), usd(2)]});
    app.post("/v1/products", &app.admin_key, twice).await.expect(422);
    app.get(&format!("/v1/products/{gtx}"), &app.other_org_key).await.expect(404);
    let inactive = app.patch(&format!("/v1/products/{gtx}"), &app.admin_key, json!({"active": false})).await;
    inactive.expect(200);
    assert_eq!(inactive.body["active"], false);
    let listed = app.get("/v1/products?active=false", &app.admin_key).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);

    let book = json!({"name": "Partners", "prices": [{"product_id": gtx, "unit_price": usd(429900)}]});
    let created = app.post("/v1/price-books", &app.admin_key, book).await;
    created.expect(201);
    assert_eq!(created.body["prices"][0]["unit_price"], usd(429900));
    let unknown = json!({"name": "Other", "prices": [{"product_id": "prod_nope", "unit_price": usd(1)}]});
    let reply = app.post("/v1/price-books", &app.admin_key, unknown).await;
    reply.expect(422);
    assert!(reply.text.contains("/prices/0/product_id"), "{}", reply.text);
    // An unused product goes; the price book's entry goes with it.
    app.delete(&format!("/v1/products/{gtx}"), &app.admin_key).await.expect(204);
    let book = app.get(&format!("/v1/price-books/{}", id(&created.body)), &app.admin_key).await;
    assert_eq!(book.body["prices"], json!([]));
}

async fn a_quote_is_priced_exactly_numbered_and_becomes_an_order(app: TestApp) {
    let gtx = product(&app, "GTX-PRO", 333).await;
    let contact = app.post("/v1/contacts", &app.admin_key, json!({"first_name": "Ada"})).await;
    let company = app.post("/v1/companies", &app.admin_key, json!({"name": "Acme"})).await;
    let deal = app
        .post("/v1/deals", &app.sales_token, json!({"name": "Acme", "amount": usd(100000), "company_id": id(&company.body), "contacts": [{"contact_id": id(&contact.body)}]}))
        .await;
    deal.expect(201);
    let lines = json!([
        {"product_id": gtx, "quantity": 3, "discount_percent": 10, "tax_rate_percent": 19},
        {"description": "Installation", "quantity": 1.5, "unit_price": usd(99)}
    ]);
    let created = app.post("/v1/quotes", &app.sales_token, json!({"deal_id": id(&deal.body), "lines": lines})).await;
    created.expect(201);
    let quote = id(&created.body);
    assert_eq!(created.body["number"], "Q-0001");
    assert_eq!(created.body["currency"], "USD", "the deal's currency");
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["company_id"], company.body["id"], "the deal's company");
    assert_eq!(created.body["contact_id"], contact.body["id"], "the deal's first contact");
    // 3 × 3.33 = 9.99; 10 % off: 1.00; 19 % of 8.99: 1.71; 10.70. 1.5 × 0.99 = 1.485 → 1.49.
    let first = &created.body["lines"][0];
    assert_eq!(
        (first["subtotal"].clone(), first["discount"].clone(), first["tax"].clone(), first["total"].clone()),
        (usd(999), usd(100), usd(171), usd(1070))
    );
    assert_eq!(first["sku"], "GTX-PRO");
    assert_eq!(created.body["lines"][1]["total"], usd(149));
    assert_eq!(
        created.body["totals"],
        json!({"subtotal": usd(1148), "discount": usd(100), "tax": usd(171), "total": usd(1219)})
    );

    // Bad lines are refused whole, with pointers; nothing is numbered.
    for (bad, pointer) in [
        (json!([{"product_id": "prod_nope"}]), "/lines/0/product_id"),
        (json!([{"description": "x"}]), "/lines/0/unit_price"),
        (json!([{"description": "x", "unit_price": usd(1), "quantity": 0}]), "/lines/0/quantity"),
        (json!([{"description": "x", "unit_price": usd(1), "quantity": 0.0001}]), "/lines/0/quantity"),
        (json!([{"description": "x", "unit_price": usd(1), "discount_percent": 101}]), "/lines/0/discount_percent"),
        (json!([{"description": "x", "unit_price": {"amount": 1, "currency": "EUR"}}]), "/lines/0/unit_price/currency"),
    ] {
        let reply = app.post("/v1/quotes", &app.sales_token, json!({"deal_id": id(&deal.body), "lines": bad})).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{pointer}: {}", reply.text);
    }
    app.post("/v1/quotes", &app.sales_token, json!({"deal_id": "deal_nope"})).await.expect(422);
    app.post("/v1/quotes", &app.read_only_token, json!({"deal_id": id(&deal.body)})).await.expect(403);
    app.get(&format!("/v1/quotes/{quote}"), &app.other_org_key).await.expect(404);

    // A draft changes; sent, it does not; accepted, it becomes an order.
    let url = format!("/v1/quotes/{quote}");
    let patched = app.patch(&url, &app.sales_token, json!({"notes": "Net 30"})).await;
    patched.expect(200);
    assert_eq!(patched.body["totals"], created.body["totals"], "lines unchanged");
    app.post(&format!("{url}/accept"), &app.sales_token, json!({})).await.expect_problem(409, "quote_not_sent");
    let sent = app.post(&format!("{url}/send"), &app.sales_token, json!({})).await;
    sent.expect(200);
    assert_eq!(sent.body["status"], "sent");
    app.patch(&url, &app.sales_token, json!({"notes": "x"})).await.expect_problem(409, "quote_not_draft");
    app.delete(&url, &app.sales_token).await.expect_problem(409, "quote_not_draft");
    // A product deactivated after the quote was sent stays on it, and on its order.
    app.patch(&format!("/v1/products/{gtx}"), &app.admin_key, json!({"active": false})).await.expect(200);
    app.patch(&format!("/v1/products/{gtx}"), &app.admin_key, json!({"active": null})).await.expect(422);
    let accepted = app.post(&format!("{url}/accept"), &app.sales_token, json!({})).await;
    accepted.expect(200);
    assert_eq!(accepted.body["status"], "accepted");
    let order = app.get(&format!("/v1/orders/{}", accepted.body["order_id"].as_str().unwrap()), &app.admin_key).await;
    order.expect(200);
    assert_eq!(order.body["number"], "O-0001");
    assert_eq!(order.body["quote_id"], quote.as_str());
    assert_eq!(order.body["totals"], created.body["totals"]);
    assert_eq!(order.body["contact_id"], contact.body["id"]);
    let kinds: Vec<String> = events(&app, "quote.*,order.*").await.into_iter().map(|(t, _)| t).collect();
    assert_eq!(kinds, ["quote.created", "quote.updated", "quote.sent", "order.created", "quote.accepted"]);

    // A direct order and a cancelled one: the purchase history counts what was not cancelled.
    let direct = json!({"contact_id": id(&contact.body), "company_id": id(&company.body), "currency": "USD", "lines": [{"description": "Support", "unit_price": usd(5000)}], "external_ids": {"erp": "SO-1"}});
    let direct = app.post("/v1/orders", &app.sales_token, direct).await;
    direct.expect(201);
    assert_eq!(direct.body["number"], "O-0002");
    let void = json!({"contact_id": id(&contact.body), "currency": "USD", "lines": [{"description": "Oops", "unit_price": usd(777)}]});
    let void = app.post("/v1/orders", &app.sales_token, void).await;
    let cancelled =
        app.patch(&format!("/v1/orders/{}", id(&void.body)), &app.sales_token, json!({"status": "cancelled"})).await;
    cancelled.expect(200);
    let history = app.get(&format!("/v1/contacts/{}/purchases", id(&contact.body)), &app.read_only_token).await;
    history.expect(200);
    let totals = &history.body["totals"][0];
    assert_eq!(totals["order_count"], 3);
    assert_eq!(totals["revenue"], usd(1219 + 5000));
    assert_eq!(totals["average_order_value"], usd((1219 + 5000) / 2));
    assert_eq!(history.body["recent_orders"].as_array().unwrap().len(), 3);
    let company_history = app.get(&format!("/v1/companies/{}/purchases", id(&company.body)), &app.admin_key).await;
    assert_eq!(company_history.body["totals"][0]["order_count"], 2);
    app.get(&format!("/v1/contacts/{}/purchases", id(&contact.body)), &app.other_org_key).await.expect(404);
    let kinds: Vec<String> = events(&app, "order.*").await.into_iter().map(|(t, _)| t).collect();
    assert_eq!(kinds, ["order.created", "order.created", "order.created", "order.cancelled"]);
    // A product on a line cannot be deleted, only deactivated.
    app.delete(&format!("/v1/products/{gtx}"), &app.admin_key).await.expect_problem(409, "product_in_use");
}

/// Concurrent quote creations take consecutive numbers, none twice, none skipped, and a
/// failed creation gives its number back.
async fn quote_numbers_have_no_gaps(app: TestApp) {
    let deal = app.post("/v1/deals", &app.sales_token, json!({"name": "Acme", "amount": usd(100)})).await;
    let deal = id(&deal.body);
    let bad = app
        .post("/v1/quotes", &app.sales_token, json!({"deal_id": deal, "lines": [{"product_id": "prod_nope"}]}))
        .await;
    bad.expect(422);
    let replies = futures_util::future::join_all(
        (0..12).map(|_| app.post("/v1/quotes", &app.sales_token, json!({"deal_id": deal}))),
    )
    .await;
    let mut numbers: Vec<String> = replies
        .iter()
        .map(|r| {
            r.expect(201);
            r.body["number"].as_str().unwrap().to_string()
        })
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=12).map(|n| format!("Q-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

async fn a_deal_has_priced_lines_that_make_its_amount(app: TestApp) {
    let gtx = product(&app, "GTX-PRO", 482100).await;
    let deal = app.post("/v1/deals", &app.sales_token, json!({"name": "Acme: workstations"})).await;
    deal.expect(201);
    let (deal, version) = (id(&deal.body), deal.body["version"].as_i64().unwrap());
    let url = format!("/v1/deals/{deal}/line-items");
    let lines = json!([{"product_id": gtx, "quantity": 3, "discount_percent": 12.5, "tax_rate_percent": 20},
                       {"description": "Onboarding", "unit_price": usd(99999)}]);

    // No amount yet: the currency must be given. Bad lines change nothing.
    app.put(&url, &app.sales_token, json!({"lines": lines})).await.expect_problem(422, "validation_failed");
    let bad = app.put(&url, &app.sales_token, json!({"currency": "USD", "lines": [{"product_id": "prod_nope"}]})).await;
    bad.expect(422);
    assert!(bad.text.contains("/lines/0/product_id"), "{}", bad.text);
    app.put(&url, &app.read_only_token, json!({"currency": "USD", "lines": lines})).await.expect(403);
    app.put(&url, &app.other_org_key, json!({"currency": "USD", "lines": lines})).await.expect(404);
    app.get(&url, &app.other_org_key).await.expect(404);
    assert_eq!(app.get(&url, &app.sales_token).await.body["lines"], json!([]));

    let set = app.put(&url, &app.sales_token, json!({"currency": "USD", "lines": lines})).await;
    set.expect(200);
    // 3 × 4,821.00 = 14,463.00; less 12.5% (1,807.875 → 1,807.88, half away from zero) =
    // 12,655.12; 20% tax 2,531.02(4) → 2,531.02; 15,186.14. Plus 999.99: 16,186.13.
    assert_eq!(set.body["lines"][0]["total"], usd(1518614), "{}", set.text);
    assert_eq!(set.body["totals"]["total"], usd(1618613));
    assert_eq!(set.body["deal_version"], version + 1);
    let now = app.get(&format!("/v1/deals/{deal}"), &app.sales_token).await;
    assert_eq!((now.body["amount"].clone(), now.body["version"].as_i64()), (usd(1618613), Some(version + 1)));

    // With lines, the amount is theirs alone.
    app.patch(&format!("/v1/deals/{deal}"), &app.sales_token, json!({"amount": usd(1)}))
        .await
        .expect_problem(422, "validation_failed");
    // The same lines again change nothing; a stale If-Match is refused.
    let again = app.put(&url, &app.sales_token, json!({"lines": lines})).await;
    assert_eq!(again.body["deal_version"], version + 1, "{}", again.text);
    let stale = app
        .send(
            app.client.put(app.url(&url)).header("If-Match", format!("\"{version}\"")).json(&json!({"lines": []})),
            &app.sales_token,
        )
        .await;
    stale.expect_problem(412, "version_mismatch");
    let cleared = app.put(&url, &app.sales_token, json!({"lines": []})).await;
    assert_eq!((cleared.body["lines"].clone(), cleared.body["deal_version"].as_i64()), (json!([]), Some(version + 2)));
    assert_eq!(app.get(&format!("/v1/deals/{deal}"), &app.sales_token).await.body["amount"], usd(1618613));
    let updates = events(&app, "deal.updated").await.into_iter().filter(|(_, of)| *of == deal).count();
    assert_eq!(updates, 2);
    crate::assert_totals_match(&app);
}

both!(
    products_and_price_books,
    a_quote_is_priced_exactly_numbered_and_becomes_an_order,
    quote_numbers_have_no_gaps,
    a_deal_has_priced_lines_that_make_its_amount
);
