//! The knowledge base: revisions, publishing, full-text search on both backends, the public
//! site without a login (and only its own organization's published articles), votes, and
//! articles suggested for a ticket.

use crm_test_support::TestApp;
use serde_json::{Value, json};

use crate::{both, events, id, ticket};

async fn new_article(app: &TestApp, title: &str, body: &str, status: &str) -> Value {
    let created =
        app.post("/v1/kb-articles", &app.admin_key, json!({"title": title, "body": body, "status": status})).await;
    created.expect(201);
    created.body.clone()
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| body.as_array().unwrap())
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect()
}

async fn articles_are_revised_published_and_searched(app: TestApp) {
    let category = app.post("/v1/kb-categories", &app.admin_key, json!({"name": "Billing", "position": 1})).await;
    category.expect(201);
    let category = id(&category.body);
    let created = app
        .post(
            "/v1/kb-articles",
            &app.admin_key,
            json!({"title": "  Exporting   invoices ", "body": "Open **Invoices** and choose Export.", "category_id": category}),
        )
        .await;
    created.expect(201);
    let article = id(&created.body);
    assert_eq!(
        (created.body["title"].as_str(), created.body["status"].as_str()),
        (Some("Exporting invoices"), Some("draft"))
    );
    assert_eq!(created.body["revision"], 1);
    let url = format!("/v1/kb-articles/{article}");
    let revised = app
        .patch(&url, &app.admin_key, json!({"body": "Open **Invoices**, select them and choose *Export to PDF*."}))
        .await;
    revised.expect(200);
    assert_eq!(revised.body["revision"], 2);
    let published = app.patch(&url, &app.admin_key, json!({"status": "published"})).await;
    published.expect(200);
    assert!(published.body["published_at"].is_string());
    assert_eq!(published.body["revision"], 2, "publishing is no new revision");
    let revisions = app.get(&format!("{url}/revisions"), &app.read_only_token).await;
    revisions.expect(200);
    assert_eq!(
        revisions.body.as_array().unwrap().iter().map(|r| r["revision"].as_i64().unwrap()).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(revisions.body[1]["body"], "Open **Invoices** and choose Export.");
    let kinds: Vec<String> = events(&app, "kb_article.created,kb_article.updated,kb_article.published")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds, ["kb_article.created", "kb_article.updated", "kb_article.published"]);
    new_article(&app, "Resetting your password", "Use the link on the sign-in page.", "published").await;
    new_article(&app, "Export checklist (draft)", "Not ready: export everything.", "draft").await;

    // Bad input and roles change nothing.
    let before = app.count("kb_articles");
    for (body, pointer) in [
        (json!({"title": " ", "body": "x"}), "/title"),
        (json!({"title": "X", "body": " "}), "/body"),
        (json!({"title": "X", "body": "x", "category_id": "kbc_nope"}), "/category_id"),
        (json!({"title": "X", "body": "x", "status": "live"}), "/status"),
    ] {
        let reply = app.post("/v1/kb-articles", &app.admin_key, body.clone()).await;
        reply.expect(422);
        assert!(reply.text.contains(pointer), "{body}: {}", reply.text);
    }
    app.post("/v1/kb-articles", &app.sales_token, json!({"title": "X", "body": "x"})).await.expect(403);
    assert_eq!(app.count("kb_articles"), before);
    app.get(&url, &app.other_org_key).await.expect(404);
    app.delete(&format!("/v1/kb-categories/{category}"), &app.admin_key).await.expect(409);

    // Agents search everything; prefixes match, every word must.
    let found = app.get("/v1/kb-articles?query=expor", &app.read_only_token).await;
    found.expect(200);
    let mut got = titles(&found.body);
    got.sort();
    assert_eq!(got, ["Export checklist (draft)", "Exporting invoices"]);
    let both_words = app.get("/v1/kb-articles?query=export%20pdf", &app.read_only_token).await;
    assert_eq!(titles(&both_words.body), ["Exporting invoices"]);
    let published_only = app.get("/v1/kb-articles?query=export&status=published", &app.read_only_token).await;
    assert_eq!(titles(&published_only.body), ["Exporting invoices"]);
    let in_category =
        app.get(&format!("/v1/kb-articles?query=export&category_id={category}"), &app.read_only_token).await;
    assert_eq!(titles(&in_category.body), ["Exporting invoices"]);
    let nothing = app.get("/v1/kb-articles?query=%22%3B%20DROP%20TABLE", &app.read_only_token).await;
    nothing.expect(200);

    // The public site: no login, published articles only, this organization's only.
    app.get("/v1/public/kb/acme-help/articles", "").await.expect(404);
    app.put("/v1/knowledge-base/site", &app.sales_token, json!({"slug": "acme-help", "name": "Acme Help"}))
        .await
        .expect(403);
    app.put("/v1/knowledge-base/site", &app.admin_key, json!({"slug": "Acme Help!", "name": "Acme Help"}))
        .await
        .expect(422);
    let site =
        app.put("/v1/knowledge-base/site", &app.admin_key, json!({"slug": "acme-help", "name": "Acme Help"})).await;
    site.expect(200);
    assert_eq!((site.body["slug"].as_str(), site.body["version"].as_i64()), (Some("acme-help"), Some(1)));
    app.put("/v1/knowledge-base/site", &app.other_org_key, json!({"slug": "acme-help", "name": "Mine"}))
        .await
        .expect(409);
    app.put("/v1/knowledge-base/site", &app.other_org_key, json!({"slug": "globex-help", "name": "Globex"}))
        .await
        .expect(200);
    app.post(
        "/v1/kb-articles",
        &app.other_org_key,
        json!({"title": "Exporting reports", "body": "Theirs.", "status": "published"}),
    )
    .await
    .expect(201);
    let public = app.get("/v1/public/kb/acme-help/articles", "").await;
    public.expect(200);
    let mut got = titles(&public.body);
    got.sort();
    assert_eq!(got, ["Exporting invoices", "Resetting your password"]);
    assert!(public.body["data"][0].get("helpful_yes").is_none(), "the public see no counts or authors");
    let searched = app.get("/v1/public/kb/acme-help/articles?query=export", "").await;
    assert_eq!(titles(&searched.body), ["Exporting invoices"], "neither the draft nor the other organization's");
    let theirs = app.get("/v1/public/kb/globex-help/articles?query=export", "").await;
    assert_eq!(titles(&theirs.body), ["Exporting reports"]);
    app.get(&format!("/v1/public/kb/acme-help/articles/{article}"), "").await.expect(200);
    app.get(&format!("/v1/public/kb/globex-help/articles/{article}"), "").await.expect(404);
    let categories = app.get("/v1/public/kb/acme-help/categories", "").await;
    assert_eq!(categories.body["data"][0]["name"], "Billing");
    for helpful in [true, true, false] {
        app.post(&format!("/v1/public/kb/acme-help/articles/{article}/votes"), "", json!({"helpful": helpful}))
            .await
            .expect(204);
    }
    app.post(&format!("/v1/public/kb/globex-help/articles/{article}/votes"), "", json!({"helpful": true}))
        .await
        .expect(404);
    app.post(&format!("/v1/public/kb/acme-help/articles/{article}/votes"), "", json!({"helpful": "yes"}))
        .await
        .expect(422);
    let counted = app.get(&url, &app.admin_key).await;
    assert_eq!((counted.body["helpful_yes"].as_i64(), counted.body["helpful_no"].as_i64()), (Some(2), Some(1)));

    // Unpublished, it leaves the public site.
    app.patch(&url, &app.admin_key, json!({"status": "draft"})).await.expect(200);
    app.get(&format!("/v1/public/kb/acme-help/articles/{article}"), "").await.expect(404);
    app.delete(&url, &app.admin_key).await.expect(204);
    assert_eq!(titles(&app.get("/v1/kb-articles?query=invoices", &app.admin_key).await.body), Vec::<String>::new());
}

async fn tickets_are_suggested_articles(app: TestApp) {
    new_article(&app, "Exporting invoices to PDF", "Open Invoices, select them and choose Export to PDF.", "published")
        .await;
    new_article(&app, "Resetting your password", "Use the link on the sign-in page.", "published").await;
    new_article(&app, "Invoices explained", "Every line of an invoice, and its taxes.", "published").await;
    new_article(&app, "Export internals", "Drafted notes on the PDF exporter.", "draft").await;
    let t = ticket(&app, "Cannot export invoices to PDF", None).await;
    let suggested = app.get(&format!("/v1/tickets/{}/suggested-articles", id(&t)), &app.read_only_token).await;
    suggested.expect(200);
    let got = titles(&suggested.body);
    assert_eq!(got.first().map(String::as_str), Some("Exporting invoices to PDF"), "{got:?}");
    assert!(got.contains(&"Invoices explained".to_string()), "{got:?}");
    assert!(!got.iter().any(|t| t == "Export internals" || t == "Resetting your password"), "{got:?}");
    app.get(&format!("/v1/tickets/{}/suggested-articles", id(&t)), &app.other_org_key).await.expect(404);
}

/// The very word before longer words that start with it, a title's words before a body's; the
/// prefixes only fill what the whole words leave of the page.
async fn searches_rank_whole_words_and_titles_first(app: TestApp) {
    new_article(&app, "Printers", "Adding a network printer to the office.", "published").await;
    new_article(&app, "Office setup", "Connect the print server first, then print a test page.", "published").await;
    new_article(&app, "Print a report", "Choose the report, then the format.", "published").await;
    new_article(&app, "Scanning", "Unrelated to printing.", "published").await;
    // Words most articles lack weigh more (bm25's and ts_rank's measure of a word).
    for topic in ["Billing", "Passwords", "Invoices", "Taxes"] {
        new_article(&app, topic, "Nothing about paper here.", "published").await;
    }

    let found = app.get("/v1/kb-articles?query=print", &app.admin_key).await;
    found.expect(200);
    assert_eq!(titles(&found.body), ["Print a report", "Office setup", "Printers", "Scanning"]);
    let page = app.get("/v1/kb-articles?query=print&limit=2", &app.admin_key).await;
    assert_eq!(titles(&page.body), ["Print a report", "Office setup"], "whole words fill the page");
    let prefix_only = app.get("/v1/kb-articles?query=printe", &app.admin_key).await;
    assert_eq!(titles(&prefix_only.body), ["Printers"]);
    let mut both_words = titles(&app.get("/v1/kb-articles?query=print%20offic", &app.admin_key).await.body);
    both_words.sort();
    assert_eq!(both_words, ["Office setup", "Printers"]);
}

both!(
    articles_are_revised_published_and_searched,
    tickets_are_suggested_articles,
    searches_rank_whole_words_and_titles_first
);
