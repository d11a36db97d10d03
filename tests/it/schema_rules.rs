//! Every case of docs/schema-rules.md is a fixture in `fixtures/schema-rules/`,
//! and compiling a mesh built from it gives the verdict the table states.
//!
//! A *read* case becomes a mesh where a source writes topic `t` with the
//! writer schema and a sink reads it with the reader schema (the topic accepts
//! any schema, so only C018 can speak). An *evolve* case becomes a topic with
//! the case's schema, history and strategy, written with the new schema and
//! read with AUTO_CONSUME (so only C019 can speak).

use crate::support::*;
use fmc::options::BuildOptions;
use fmc::pipeline::compile;
use serde_json::{Value, json};

pub(crate) struct Row {
    pub number: String,
    pub verdict: String,
}

/// The `| NN | kind | case | verdict | rule |` rows of docs/schema-rules.md.
pub(crate) fn table() -> Vec<Row> {
    let doc = std::fs::read_to_string(project_root().join("docs/schema-rules.md")).expect("docs/schema-rules.md");
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let numbered = cells.len() == 5 && cells[0].len() == 2 && cells[0].chars().all(|c| c.is_ascii_digit());
            numbered.then(|| Row { number: cells[0].to_string(), verdict: cells[3].to_string() })
        })
        .collect()
}

pub(crate) fn fixture(number: &str) -> (std::path::PathBuf, Value) {
    let dir = project_root().join("fixtures/schema-rules");
    let path = std::fs::read_dir(&dir)
        .expect("fixtures/schema-rules")
        .map(|e| e.expect("entry").path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&format!("{number}-"))))
        .unwrap_or_else(|| panic!("case {number} has no fixture in {}", dir.display()));
    let sources = sources_from_files(&[&path]);
    let mut diags = fmc::diagnostics::Diagnostics::default();
    let docs =
        fmc::parse::yaml::read_documents(fmc::source::FileId(0), &sources.get(fmc::source::FileId(0)).text, &mut diags);
    assert!(diags.is_empty(), "{}: {diags:?}", path.display());
    (path, docs[0].root.to_json())
}

fn source(output: Value) -> Value {
    json!({"file": "connectors/writer.nar", "className": "com.example.Writer", "output": output})
}

fn sink(input: Value) -> Value {
    json!({"file": "connectors/reader.nar", "className": "com.example.Reader", "inputs": [input]})
}

/// The parts KEY_VALUE cases name: K, KInt, V1, V2.
pub(crate) fn key_value_parts() -> serde_json::Map<String, Value> {
    let order = |extra: Vec<Value>| {
        let mut fields = vec![json!({"name": "id", "type": "string"})];
        fields.extend(extra);
        json!({"type": "AVRO", "definition": {"type": "record", "name": "Order", "fields": fields}})
    };
    let mut parts = serde_json::Map::new();
    parts.insert("K".into(), json!({"type": "STRING"}));
    parts.insert("KInt".into(), json!({"type": "INT32"}));
    parts.insert("V1".into(), order(vec![]));
    parts.insert("V2".into(), order(vec![json!({"name": "note", "type": "string", "default": ""})]));
    parts
}

/// A read (or KEY_VALUE) case as an evolution under `strategy`: the topic
/// holds the writer's schema, and the reader's is written next (what the
/// broker's compatibility check answers for a schema a consumer or producer
/// brings).
pub(crate) fn as_evolution(case: &Value, strategy: &str) -> Value {
    json!({
        "kind": "evolve", "compatibility": strategy, "history": [],
        "current": case["writer"], "writer": case["reader"],
    })
}

/// fmc's verdict on a case: `compatible`/`incompatible` (read, kv) or
/// `accepted`/`rejected` (evolve), with the errors it gave besides.
pub(crate) fn verdict(path: &std::path::Path, case: &Value) -> (String, Vec<fmc::diagnostics::Diagnostic>) {
    // The mesh sits beside the fixture so protobuf files resolve relative to it.
    let text = mesh(case).to_string();
    let name = path.with_extension("mesh.yaml").display().to_string();
    let out = compile(&sources_from_text_at(&name, &text), &BuildOptions::default());
    let code = if case["kind"] == "evolve" { "C019" } else { "C018" };
    let others: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error() && d.code != code).cloned().collect();
    let reported = out.diagnostics.iter().any(|d| d.code == code);
    let verdict = match (case["kind"].as_str(), reported) {
        (Some("evolve"), false) => "accepted",
        (Some("evolve"), true) => "rejected",
        (_, false) => "compatible",
        (_, true) => "incompatible",
    };
    (verdict.to_string(), others)
}

/// The mesh of a case, as JSON (which is YAML).
fn mesh(case: &Value) -> Value {
    let mut schemas = key_value_parts();
    let topic = match case["kind"].as_str() {
        Some("read") => {
            schemas.insert("Writer".into(), case["writer"].clone());
            schemas.insert("Reader".into(), case["reader"].clone());
            json!({"schema": "Writer", "compatibility": "ALWAYS_COMPATIBLE"})
        }
        Some("kv") => {
            schemas.insert("Writer".into(), case["writer"].clone());
            schemas.insert("Reader".into(), case["reader"].clone());
            json!({"schema": "Writer", "compatibility": "ALWAYS_COMPATIBLE"})
        }
        Some("evolve") => {
            schemas.insert("Writer".into(), case["writer"].clone());
            schemas.insert("Current".into(), case["current"].clone());
            schemas.insert("Reader".into(), json!({"type": "AUTO_CONSUME"}));
            let mut history = Vec::new();
            for (i, h) in case["history"].as_array().into_iter().flatten().enumerate() {
                schemas.insert(format!("H{i}"), h.clone());
                history.push(json!(format!("H{i}")));
            }
            json!({"schema": "Current", "history": history, "compatibility": case["compatibility"]})
        }
        other => panic!("unknown case kind {other:?}"),
    };
    json!({
        "apiVersion": "fmc.functionmesh.io/v1alpha1",
        "kind": "Mesh",
        "metadata": {"name": "rules"},
        "spec": {
            "clusters": {"local": {"brokerServiceUrl": "pulsar://pulsar:6650", "webServiceUrl": "http://pulsar:8080"}},
            "schemas": schemas,
            "topics": {"t": topic},
            "sources": {"writer": source(json!({"topic": "t", "schema": "Writer"}))},
            "sinks": {"reader": sink(json!({"topic": "t", "schema": "Reader"}))},
        }
    })
}

#[test]
fn every_documented_case_has_a_fixture_with_the_documented_verdict() {
    let rows = table();
    assert!(rows.len() >= 25, "docs/schema-rules.md lists at least 25 cases, found {}", rows.len());
    let fixtures = std::fs::read_dir(project_root().join("fixtures/schema-rules"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "yaml"))
        .count();
    assert_eq!(fixtures, rows.len(), "one fixture per documented case, no more");
    for row in &rows {
        let (path, case) = fixture(&row.number);
        assert_eq!(case["expect"], row.verdict.as_str(), "{}: the fixture and the table disagree", path.display());
        let (verdict, others) = verdict(&path, &case);
        assert!(others.is_empty(), "case {}: unexpected errors {others:#?}", row.number);
        assert_eq!(verdict, row.verdict, "case {} ({})", row.number, case["case"]);
    }
}
