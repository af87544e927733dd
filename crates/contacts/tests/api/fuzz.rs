//! The parsers that take outside input, fed generated input through the live API on both
//! databases: filters (with custom fields), sorts and cursors. Whatever arrives, the answer is a
//! page or a 4xx problem, never a 5xx: the SQL they compile to runs on the real database.
//! `PROPTEST_CASES` sets the budget (`make fuzz` raises it).

use std::io::{Read, Write};
use std::net::TcpStream;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::both;
use crate::support::{TestApp, percent_encode};

both!(filters_sorts_and_cursors_never_fail_the_server);

/// A request over a plain socket (the test's strategies are synchronous): its status.
fn status(app: &TestApp, method: &str, path: &str, body: Option<&Value>) -> u16 {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(app.addr).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: crm\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        app.admin_key,
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn filters() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("2026-01-01T00:00:00Z")),
        Just(Value::from("customer")),
        Just(Value::from("%_\\")),
    ];
    let field = prop_oneof![
        Just("first_name"),
        Just("name"),
        Just("email"),
        Just("tags"),
        Just("lifecycle_stage"),
        Just("created_at"),
        Just("owner_id"),
        Just("custom.tier"),
        Just("custom.score"),
        Just("custom.born"),
        Just("nope")
    ];
    let op = prop_oneof![
        Just("eq"),
        Just("ne"),
        Just("lt"),
        Just("lte"),
        Just("gt"),
        Just("gte"),
        Just("in"),
        Just("not_in"),
        Just("contains"),
        Just("starts_with"),
        Just("is_set")
    ];
    let value = prop_oneof![scalar.clone(), prop::collection::vec(scalar, 0..4).prop_map(Value::from)];
    let anything = (field, op, value).prop_map(|(f, o, v)| json!({"field": f, "op": o, "value": v}));
    // Conditions the contacts take, with generated values, so most filters reach the database.
    let text = ".{0,12}".prop_map(Value::from);
    let well_formed = prop_oneof![
        (
            prop_oneof![Just("first_name"), Just("name"), Just("email"), Just("owner_id"), Just("job_title")],
            prop_oneof![Just("eq"), Just("ne"), Just("contains"), Just("starts_with")],
            text.clone()
        )
            .prop_map(|(f, o, v)| json!({"field": f, "op": o, "value": v})),
        prop::collection::vec(text.clone(), 0..4).prop_map(|v| json!({"field": "first_name", "op": "in", "value": v})),
        prop_oneof![Just("customer"), Just("lead")]
            .prop_map(|v| json!({"field": "lifecycle_stage", "op": "eq", "value": v})),
        (
            prop_oneof![Just("lt"), Just("gte")],
            prop_oneof![Just("2026-01-01T00:00:00Z"), Just("1999-12-31T23:59:59+05:00")]
        )
            .prop_map(|(o, v)| json!({"field": "created_at", "op": o, "value": v})),
        text.clone().prop_map(|v| json!({"field": "tags", "op": "contains", "value": v})),
        (prop_oneof![Just("gt"), Just("lt"), Just("eq")], any::<i64>())
            .prop_map(|(o, v)| json!({"field": "custom.score", "op": o, "value": v})),
        prop_oneof![Just("gold"), Just("silver")].prop_map(|v| json!({"field": "custom.tier", "op": "eq", "value": v})),
        (prop_oneof![Just("email"), Just("custom.born"), Just("tags")], any::<bool>())
            .prop_map(|(f, v)| json!({"field": f, "op": "is_set", "value": v})),
    ];
    let condition = prop_oneof![3 => well_formed, 1 => anything];
    condition.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|all| json!({"all": all})),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|any| json!({"any": any})),
            inner.prop_map(|not| json!({"not": not})),
        ]
    })
}

/// Mostly sorts the list takes (so the filter is reached), sometimes anything.
fn sorts() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop_oneof![Just("-created_at"), Just("name"), Just("-email"), Just("custom.score"), Just("-custom.tier")]
            .prop_map(String::from),
        1 => ".{0,16}",
    ]
}

/// Mostly none, sometimes anything.
fn cursors() -> impl Strategy<Value = String> {
    prop_oneof![3 => Just(String::new()), 1 => ".{0,40}"]
}

async fn filters_sorts_and_cursors_never_fail_the_server(app: TestApp) {
    for field in [
        json!({"record_type": "contact", "key": "tier", "label": "Tier", "type": "select", "options": [{"value": "gold"}]}),
        json!({"record_type": "contact", "key": "score", "label": "Score", "type": "number"}),
        json!({"record_type": "contact", "key": "born", "label": "Born", "type": "date"}),
    ] {
        app.post("/v1/custom-fields", &app.admin_key, field).await.expect(201);
    }
    for (name, stage) in [("Ada", "customer"), ("Grace", "lead"), ("Zoë", "customer")] {
        let contact = json!({"first_name": name, "lifecycle_stage": stage, "tags": ["vip"], "custom": {"tier": "gold", "score": 3}});
        app.post("/v1/contacts", &app.admin_key, contact).await.expect(201);
    }
    let app = &app;
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut runner = TestRunner::new(Config::default());
                runner
                    .run(&(filters(), sorts(), cursors()), |(filter, sort, cursor)| {
                        let search = json!({"filter": filter, "limit": 5});
                        let answer = status(app, "POST", "/v1/contacts/search", Some(&search));
                        prop_assert!((200..500).contains(&answer), "{answer} for {search}");
                        let query = format!(
                            "/v1/contacts?filter={}&sort={}&cursor={}",
                            percent_encode(&filter.to_string()),
                            percent_encode(&sort),
                            percent_encode(&cursor)
                        );
                        let answer = status(app, "GET", &query, None);
                        prop_assert!((200..500).contains(&answer), "{answer} for {query}");
                        Ok(())
                    })
                    .unwrap();
            })
            .join()
            .unwrap();
    });
}
