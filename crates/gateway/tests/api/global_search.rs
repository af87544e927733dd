//! `GET /v1/search` across contacts and companies: the same ranked results on both databases.

use serde_json::json;

use crate::both;
use crate::support::{Reply, TestApp};

both!(finds_and_ranks_across_types, index_follows_changes, bad_queries_are_4xx, a_record_is_listed_once_across_pages);

fn titles(reply: &Reply) -> Vec<String> {
    reply.expect(200);
    reply.body["data"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_string()).collect()
}

/// Searches as the read-only user.
async fn search(app: &TestApp, q: &str) -> Reply {
    app.get(&format!("/v1/search?q={q}"), &app.read_only_token).await
}

async fn seed(app: &TestApp) {
    for body in [
        json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@analytical.example"}]}),
        json!({"first_name": "Adam", "last_name": "Smith", "emails": [{"address": "adam.smith@wealth.example"}]}),
        json!({"first_name": "Grace", "last_name": "Hopper", "phones": [{"number": "+1 415 555 2671"}]}),
        json!({"first_name": "Bob", "last_name": "Ada", "emails": [{"address": "bob@acme.example"}]}),
        json!({"emails": [{"address": "nameless@adastra.example"}]}),
    ] {
        app.post("/v1/contacts", &app.admin_key, body).await.expect(201);
    }
    for body in [
        json!({"name": "Ada Analytics", "domain": "ada-analytics.example"}),
        json!({"name": "Acme", "domain": "acme.example"}),
    ] {
        app.post("/v1/companies", &app.admin_key, body).await.expect(201);
    }
}

async fn finds_and_ranks_across_types(app: TestApp) {
    seed(&app).await;
    // Names starting with the word first, then the word anywhere, then prefixes; shorter first.
    assert_eq!(
        titles(&search(&app, "ada").await),
        ["Ada Lovelace", "Ada Analytics", "Bob Ada", "Adam Smith", "nameless@adastra.example"]
    );
    assert_eq!(titles(&search(&app, "ada%20lov").await), ["Ada Lovelace"]);
    assert_eq!(titles(&search(&app, "LOVELACE").await), ["Ada Lovelace"]);
    // E-mails and domains by their parts, phones with or without the country code.
    assert_eq!(titles(&search(&app, "adam.smith%40wea").await), ["Adam Smith"]);
    assert_eq!(titles(&search(&app, "acme.ex").await), ["Acme", "Bob Ada"]);
    assert_eq!(titles(&search(&app, "415555").await), ["Grace Hopper"]);
    assert_eq!(titles(&search(&app, "%2B1415").await), ["Grace Hopper"]);
    let hits = search(&app, "acme").await;
    assert_eq!(hits.body["data"][0]["type"], "company");
    assert_eq!(hits.body["data"][0]["subtitle"], "acme.example");
    assert!(hits.body["data"][0]["url"].as_str().unwrap().starts_with("/v1/companies/co_"));
    assert_eq!(hits.body["data"][1]["type"], "contact");
    // Types and limit.
    assert_eq!(titles(&app.get("/v1/search?q=ada&types=company", &app.read_only_token).await), ["Ada Analytics"]);
    assert_eq!(titles(&app.get("/v1/search?q=ada&limit=2", &app.read_only_token).await).len(), 2);
    // Nothing found is an empty list; another organization sees none of it.
    assert_eq!(titles(&search(&app, "zebra").await), Vec::<String>::new());
    assert_eq!(titles(&app.get("/v1/search?q=ada", &app.other_org_key).await), Vec::<String>::new());
}

async fn index_follows_changes(app: TestApp) {
    seed(&app).await;
    let grace = search(&app, "hopper").await.body["data"][0]["id"].as_str().unwrap().to_string();
    app.patch(&format!("/v1/contacts/{grace}"), &app.admin_key, json!({"last_name": "Murray"})).await.expect(200);
    assert_eq!(titles(&search(&app, "hopper").await), Vec::<String>::new());
    assert_eq!(titles(&search(&app, "murray").await), ["Grace Murray"]);
    // Trashed records leave the index and come back with a restore.
    app.send(app.client.delete(app.url(&format!("/v1/contacts/{grace}"))), &app.admin_key).await.expect(204);
    assert_eq!(titles(&search(&app, "murray").await), Vec::<String>::new());
    app.post(&format!("/v1/contacts/{grace}/restore"), &app.admin_key, json!({})).await.expect(200);
    assert_eq!(titles(&search(&app, "murray").await), ["Grace Murray"]);
    let acme = search(&app, "acme").await.body["data"][0]["id"].as_str().unwrap().to_string();
    app.send(app.client.delete(app.url(&format!("/v1/companies/{acme}"))), &app.admin_key).await.expect(204);
    assert_eq!(titles(&search(&app, "acme").await), ["Bob Ada"]);
}

async fn bad_queries_are_4xx(app: TestApp) {
    app.get("/v1/search?q=", &app.admin_key).await.expect_problem(422, "validation_failed");
    app.get("/v1/search", &app.admin_key).await.expect(400);
    app.get("/v1/search?q=ada&types=spaceship", &app.admin_key).await.expect_problem(400, "invalid_types");
    app.get("/v1/search?q=ada&limit=51", &app.admin_key).await.expect_problem(400, "invalid_limit");
    app.get("/v1/search?q=ada", "").await.expect(401);
    // Punctuation alone finds nothing rather than failing; FTS syntax is not interpreted.
    assert_eq!(titles(&app.get("/v1/search?q=%22*%20OR%20NEAR(", &app.admin_key).await), Vec::<String>::new());
}

/// A record with several words the query starts is one hit: when those fill a page of the
/// index, the next page is read.
async fn a_record_is_listed_once_across_pages(app: TestApp) {
    for body in [
        json!({"first_name": "Zyxa", "last_name": "Zyxb", "emails": [{"address": "zyxc@zyxd.example"}]}),
        json!({"first_name": "Zyxe"}),
        json!({"first_name": "Zyxf"}),
    ] {
        app.post("/v1/contacts", &app.admin_key, body).await.expect(201);
    }
    assert_eq!(titles(&app.get("/v1/search?q=zyx&limit=2", &app.read_only_token).await), ["Zyxa Zyxb", "Zyxe"]);
    assert_eq!(titles(&app.get("/v1/search?q=zyx&limit=3", &app.read_only_token).await), ["Zyxa Zyxb", "Zyxe", "Zyxf"]);
    assert_eq!(titles(&app.get("/v1/search?q=zyxb%20zyx&limit=3", &app.read_only_token).await), ["Zyxa Zyxb"]);
}
