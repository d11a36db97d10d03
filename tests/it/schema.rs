//! The checked-in JSON Schema matches the input types.

use crate::support::project_root;

#[test]
fn checked_in_schema_has_not_drifted() {
    let path = project_root().join("schemas/fmc-input.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = fmc::schema::input_schema();
    assert!(
        checked_in == generated,
        "schemas/fmc-input.schema.json is out of date; regenerate it with:\n    cargo run -- schema > schemas/fmc-input.schema.json"
    );
}

#[test]
fn schema_is_draft07_and_lists_every_kind() {
    let schema: serde_json::Value = serde_json::from_str(&fmc::schema::input_schema()).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let text = schema.to_string();
    for kind in ["Function", "Source", "Sink", "FunctionMesh", "BackendConfig", "ClusterProvided"] {
        assert!(text.contains(&format!("\"const\":\"{kind}\"")), "{kind}");
    }
}
