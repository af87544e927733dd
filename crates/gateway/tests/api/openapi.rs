//! The committed contract matches the code, every operation is documented and every create
//! example works.

use crate::support::TestApp;
use serde_json::Value;

#[test]
fn committed_spec_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = crm_gateway::openapi_json();
    assert!(committed == generated, "openapi/openapi.json is out of date: run `make openapi`");
}

#[test]
fn every_operation_is_documented() {
    let spec = serde_json::to_value(crm_gateway::openapi()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{id} has no tag");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{id} has no summary");
            assert!(op.get("security").is_some(), "{id} does not state its security");
            for (status, response) in op["responses"].as_object().unwrap() {
                assert!(
                    response["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{id} {status} has no description"
                );
            }
            assert!(
                op["responses"].get("500").is_some() && op["responses"].get("429").is_some(),
                "{id} lacks the standard errors"
            );
        }
    }
    assert!(ids.contains("list_users") && ids.contains("create_api_key") && ids.contains("list_events"));
}

/// The request example of a JSON body: the media type's own, or its schema's.
fn request_example<'a>(spec: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let media = op.pointer("/requestBody/content/application~1json")?;
    if let Some(example) = media.get("example") {
        return Some(example);
    }
    let name = media.pointer("/schema/$ref")?.as_str()?.rsplit('/').next()?;
    spec["components"]["schemas"][name].get("example")
}

/// Every operation that creates something from a JSON example: a `POST` answering 201 or 202
/// and a `PUT` answering 201. Its method, path (path parameters at their examples) and body.
fn create_examples(spec: &Value) -> Vec<(String, String, Value)> {
    let mut creates = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            let creates_something = match method.as_str() {
                "post" => responses.get("201").is_some() || responses.get("202").is_some(),
                "put" => responses.get("201").is_some(),
                _ => false,
            };
            // The organization's own operations: not the public ones, nor the customer portal's.
            let by_organization =
                op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let Some(example) = request_example(spec, op).filter(|_| creates_something && by_organization) else {
                continue;
            };
            let mut url = path.clone();
            for parameter in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path") {
                let value = parameter["example"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{path}: a path parameter lacks an example"));
                url = url.replace(&format!("{{{}}}", parameter["name"].as_str().unwrap()), value);
            }
            creates.push((method.clone(), url, example.clone()));
        }
    }
    creates
}

/// `example` with each record id it names replaced by the id of a record created in the
/// organization of `key` from its own collection's example; `created` remembers them so an id
/// named twice is one record.
async fn with_real_ids(
    app: &TestApp,
    spec: &Value,
    key: &str,
    example: &Value,
    created: &mut std::collections::HashMap<String, String>,
) -> Value {
    let mut text = example.to_string();
    let ids: Vec<String> = {
        let mut found = Vec::new();
        collect_strings(example, &mut found);
        found
    };
    for id in ids {
        let Some((prefix, suffix)) = id.split_once('_') else { continue };
        let is_id = suffix.len() == 26 && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
        let Some(resource) = crm_core::registry::resources(crm_gateway::DOMAINS)
            .find(|r| is_id && !r.id_prefix.is_empty() && r.id_prefix == prefix)
        else {
            continue;
        };
        if !created.contains_key(&id) {
            let op = &spec["paths"][resource.path]["post"];
            let own = request_example(spec, op).unwrap_or_else(|| panic!("{} has no create example", resource.path));
            let body = Box::pin(with_real_ids(app, spec, key, own, created)).await;
            let reply = app.post(resource.path, key, body).await;
            assert_eq!(
                reply.status, 201,
                "creating the {} that an example names: {}",
                resource.record_type, reply.text
            );
            created.insert(id.clone(), reply.body["id"].as_str().unwrap().to_string());
        }
        text = text.replace(&format!("\"{id}\""), &format!("\"{}\"", created[&id]));
    }
    serde_json::from_str(&text).unwrap()
}

fn collect_strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) => found.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, found)),
        Value::Object(fields) => fields.values().for_each(|v| collect_strings(v, found)),
        _ => {}
    }
}

/// What a new integrator does first: send each create example of the docs, as it stands, to a
/// new organization. The records an example names (an activity's contact, a team's member) are
/// created first from their own examples, and so are the records its path names.
async fn every_create_example_succeeds_on_a_fresh_organization(app: TestApp) {
    let spec = serde_json::to_value(crm_gateway::openapi()).unwrap();
    let creates = create_examples(&spec);
    assert!(creates.len() >= 10, "only {} create examples found", creates.len());
    for (n, (method, url, example)) in creates.into_iter().enumerate() {
        let org = crm_core::organizations::create_with_admin(
            &mut app.conn(),
            &app.state.keys,
            "Fresh",
            &format!("admin{n}@fresh.test"),
        )
        .unwrap();
        let mut ids = Default::default();
        let body = with_real_ids(&app, &spec, &org.api_key, &example, &mut ids).await;
        // A record the path names (a ticket a comment goes on) is one of the organization's too.
        let mut segments = Vec::new();
        for segment in url.split('/') {
            let real = with_real_ids(&app, &spec, &org.api_key, &Value::String(segment.into()), &mut ids).await;
            segments.push(real.as_str().unwrap_or(segment).to_string());
        }
        let url = segments.join("/");
        let request = match method.as_str() {
            "post" => app.client.post(app.url(&url)),
            _ => app.client.put(app.url(&url)),
        };
        let reply = app.send(request.json(&body), &org.api_key).await;
        assert!((200..300).contains(&reply.status), "{method} {url} with its example: {} {}", reply.status, reply.text);
    }
}

crate::both!(every_create_example_succeeds_on_a_fresh_organization);
