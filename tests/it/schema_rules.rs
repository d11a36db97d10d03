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

struct Row {
    number: String,
    verdict: String,
}

/// The `| NN | kind | case | verdict | rule |` rows of docs/schema-rules.md.
fn table() -> Vec<Row> {
    let doc = std::fs::read_to_string(project_root().join("docs/schema-rules.md")).expect("docs/schema-rules.md");
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let numbered = cells.len() == 5 && cells[0].len() == 2 && cells[0].chars().all(|c| c.is_ascii_digit());
            numbered.then(|| Row { number: cells[0].to_string(), verdict: cells[3].to_string() })
        })
        .collect()
}

fn fixture(number: &str) -> (std::path::PathBuf, Value) {
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

/// The mesh of a case, as JSON (which is YAML).
fn mesh(case: &Value) -> Value {
    let mut schemas = serde_json::Map::new();
    let topic = match case["kind"].as_str() {
        Some("read") => {
            schemas.insert("Writer".into(), case["writer"].clone());
            schemas.insert("Reader".into(), case["reader"].clone());
            json!({"schema": "Writer", "compatibility": "ALWAYS_COMPATIBLE"})
        }
        Some("kv") => {
            // KEY_VALUE cases name their parts: K, KInt, V1, V2.
            schemas.insert("Writer".into(), case["writer"].clone());
            schemas.insert("Reader".into(), case["reader"].clone());
            schemas.insert("K".into(), json!({"type": "STRING"}));
            schemas.insert("KInt".into(), json!({"type": "INT32"}));
            let order = |extra: Vec<Value>| {
                let mut fields = vec![json!({"name": "id", "type": "string"})];
                fields.extend(extra);
                json!({"type": "AVRO", "definition": {"type": "record", "name": "Order", "fields": fields}})
            };
            schemas.insert("V1".into(), order(vec![]));
            schemas.insert("V2".into(), order(vec![json!({"name": "note", "type": "string", "default": ""})]));
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
        // The mesh sits beside the fixture so protobuf files resolve relative to it.
        let text = mesh(&case).to_string();
        let name = path.with_extension("mesh.yaml").display().to_string();
        let out = compile(&sources_from_text_at(&name, &text), &BuildOptions::default());
        let code = if case["kind"] == "evolve" { "C019" } else { "C018" };
        let others: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error() && d.code != code).collect();
        assert!(others.is_empty(), "case {}: unexpected errors {others:#?}", row.number);
        let reported = out.diagnostics.iter().any(|d| d.code == code);
        let verdict = match (case["kind"].as_str(), reported) {
            (Some("evolve"), false) => "accepted",
            (Some("evolve"), true) => "rejected",
            (_, false) => "compatible",
            (_, true) => "incompatible",
        };
        assert_eq!(verdict, row.verdict, "case {} ({}): {:#?}", row.number, case["case"], out.diagnostics);
    }
}
