//! The committed contract matches the code, and every operation is documented.

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
