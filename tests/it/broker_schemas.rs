//! Conformance with Apache Pulsar's schema registry: every case of
//! docs/schema-rules.md under every compatibility strategy, asked of a real
//! broker (the standalone `scripts/pulsar-standalone.sh start` runs) through
//! its admin REST API, against fmc's verdict for the same schemas.
//!
//! A *read* or KEY_VALUE case: the writer's schema is uploaded to a topic of a
//! namespace whose strategy is set, then the broker is asked whether the
//! reader's schema is compatible (`POST …/compatibility`) — the check a
//! consumer's or producer's schema meets — and fmc is asked the same question
//! (the case as an evolution: topic schema = writer, new schema = reader). An
//! *evolve* case: its versions are uploaded under ALWAYS_COMPATIBLE, the
//! case's strategy is set, and the new schema is asked about.
//!
//! The broker's answers are the table in docs/schema-rules.md ("Apache
//! Pulsar's verdicts"); every cell where fmc answers otherwise is listed there
//! with its reason, or this test fails.

use crate::schema_rules::{as_evolution, fixture, key_value_parts, table, verdict};
use crate::support::*;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub(crate) const STRATEGIES: [&str; 8] = [
    "ALWAYS_INCOMPATIBLE",
    "ALWAYS_COMPATIBLE",
    "BACKWARD",
    "FORWARD",
    "FULL",
    "BACKWARD_TRANSITIVE",
    "FORWARD_TRANSITIVE",
    "FULL_TRANSITIVE",
];

/// The standalone's admin address (`host:port`): `FMC_PULSAR_ADMIN_URL`, else
/// the `env` file of its default instance. `None` (skip) outside CI.
pub(crate) fn admin_address() -> Option<String> {
    let address = standalone_url("FMC_PULSAR_ADMIN_URL")
        .and_then(|u| u.strip_prefix("http://").map(|a| a.trim_end_matches('/').to_string()));
    let live = address.as_ref().is_some_and(|a| std::net::TcpStream::connect(a).is_ok());
    if !live {
        assert!(
            std::env::var_os("CI").is_none(),
            "no Apache Pulsar standalone (bash scripts/pulsar-standalone.sh start)"
        );
        eprintln!("skipping: no Apache Pulsar standalone (bash scripts/pulsar-standalone.sh start)");
        return None;
    }
    address
}

/// One admin REST call (HTTP/1.0: the answer is the rest of the stream).
pub(crate) fn call(admin: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(admin).expect("the admin API answers");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("answer read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

pub(crate) fn ok(admin: &str, method: &str, path: &str, body: Option<&Value>) -> String {
    let (status, text) = call(admin, method, path, body);
    assert!((200..300).contains(&status), "{method} {path}: {status} {text}");
    text
}

/// A namespace of this run with `strategy` set.
fn namespace(admin: &str, name: &str, strategy: &str) -> String {
    let ns = format!("fmc-{}-{name}", std::process::id());
    ok(admin, "PUT", &format!("/admin/v2/namespaces/public/{ns}"), Some(&json!({})));
    set_strategy(admin, &ns, strategy);
    ns
}

fn set_strategy(admin: &str, ns: &str, strategy: &str) {
    ok(admin, "PUT", &format!("/admin/v2/namespaces/public/{ns}/schemaCompatibilityStrategy"), Some(&json!(strategy)));
}

/// The broker's form of a fixture's schema (`None`: not a schema a topic
/// stores, such as AUTO_CONSUME).
fn payload(schema: &Value, dir: &std::path::Path) -> Option<Value> {
    let kind = schema["type"].as_str().expect("a schema type");
    let (data, properties) = match kind {
        "AUTO_CONSUME" => return None,
        "AVRO" | "JSON" => (schema["definition"].to_string(), json!({})),
        "PROTOBUF_NATIVE" => (protobuf_native(schema, dir), json!({})),
        "KEY_VALUE" => key_value(schema),
        _ => (String::new(), json!({})),
    };
    Some(json!({"type": kind, "schema": data, "properties": properties}))
}

/// PROTOBUF_NATIVE's schema data: the file's descriptor set (protoc, which
/// scripts/setup.sh installs) and the root message.
fn protobuf_native(schema: &Value, dir: &std::path::Path) -> String {
    let file = schema["file"].as_str().expect("a .proto file");
    let path = dir.join(file);
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let status = std::process::Command::new("protoc")
        .arg("--include_imports")
        .arg(format!("--descriptor_set_out={}", out.path().display()))
        .arg(format!("-I{}", path.parent().unwrap().display()))
        .arg(path.file_name().unwrap())
        .status()
        .expect("protoc runs");
    assert!(status.success(), "protoc {}", path.display());
    let set = std::fs::read(out.path()).expect("descriptor set");
    json!({
        "fileDescriptorSet": base64::engine::general_purpose::STANDARD.encode(set),
        "rootMessageTypeName": schema["message"],
        "rootFileDescriptorName": path.file_name().unwrap().to_string_lossy(),
    })
    .to_string()
}

/// KEY_VALUE as the admin API takes it: `{"key": …, "value": …}` (a
/// primitive part is `""`) and the parts' types and encoding as properties.
fn key_value(schema: &Value) -> (String, Value) {
    let parts = key_value_parts();
    let part = |name: &Value| parts[name.as_str().expect("a part name")].clone();
    let (key, value) = (part(&schema["key"]), part(&schema["value"]));
    let data = |p: &Value| if p["definition"].is_null() { json!("") } else { p["definition"].clone() };
    let name = |p: &Value| p["definition"]["name"].as_str().unwrap_or_default().to_string();
    let properties = json!({
        "key.schema.type": key["type"], "key.schema.name": name(&key), "key.schema.properties": "{}",
        "value.schema.type": value["type"], "value.schema.name": name(&value), "value.schema.properties": "{}",
        "kv.encoding.type": schema["encoding"],
    });
    (json!({"key": data(&key), "value": data(&value)}).to_string(), properties)
}

/// What the broker says of one question: `accepted`/`rejected`, or why it
/// could not be asked.
fn ask(admin: &str, ns: &str, topic: &str, versions: &[Value], candidate: &Value, strategy: &str) -> String {
    let base = format!("/admin/v2/schemas/public/{ns}/{topic}");
    for v in versions {
        let (status, text) = call(admin, "POST", &format!("{base}/schema"), Some(v));
        if !(200..300).contains(&status) {
            return format!("upload refused ({status}: {})", text.trim());
        }
    }
    // The namespace's strategy reaches the broker's cache a moment after it is set.
    for _ in 0..100 {
        let (status, text) = call(admin, "POST", &format!("{base}/compatibility"), Some(candidate));
        // An incompatible schema is an error answer naming the exception, not
        // `false` (and, when it names a strategy, the one just set).
        let strategy_named = !text.contains("with strategy") || text.contains(&format!("strategy {strategy}"));
        if text.contains("IncompatibleSchemaException") && strategy_named {
            return "rejected".to_string();
        }
        if !(200..300).contains(&status) {
            let first = text.lines().find(|l| l.contains("Message")).unwrap_or(&text).trim().to_string();
            return format!("check refused ({status}: {first})");
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or_default();
        if answer["schemaCompatibilityStrategy"] == strategy {
            return if answer["compatibility"] == true { "accepted" } else { "rejected" }.to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{base}: the broker never used {strategy}")
}

/// Every case under every strategy: (case, strategy) → (broker, fmc).
fn matrix(admin: &str) -> BTreeMap<(String, String), (String, String)> {
    let mut namespaces = BTreeMap::new();
    for s in STRATEGIES {
        namespaces.insert(s, namespace(admin, &s.to_lowercase().replace('_', "-"), s));
    }
    let mut cells = BTreeMap::new();
    for row in table() {
        let (path, case) = fixture(&row.number);
        let dir = path.parent().unwrap().to_path_buf();
        if case["kind"] == "evolve" {
            let strategy = case["compatibility"].as_str().expect("a strategy").to_string();
            let ns = namespace(admin, &format!("evolve-{}", row.number), "ALWAYS_COMPATIBLE");
            let mut versions: Vec<Value> = case["history"].as_array().into_iter().flatten().cloned().collect();
            versions.push(case["current"].clone());
            let versions: Vec<Value> = versions.iter().filter_map(|v| payload(v, &dir)).collect();
            // The versions go in under ALWAYS_COMPATIBLE, then the case's strategy applies.
            let base = format!("/admin/v2/schemas/public/{ns}/t");
            for v in &versions {
                ok(admin, "POST", &format!("{base}/schema"), Some(v));
            }
            set_strategy(admin, &ns, &strategy);
            let candidate = payload(&case["writer"], &dir).expect("an evolve case writes a schema");
            let broker = ask(admin, &ns, "t", &[], &candidate, &strategy);
            let (fmc, _) = verdict(&path, &case);
            cells.insert((row.number.clone(), strategy), (broker, fmc));
            continue;
        }
        for s in STRATEGIES {
            let evolution = as_evolution(&case, s);
            let (fmc, _) = verdict(&path, &evolution);
            let broker = match (payload(&case["writer"], &dir), payload(&case["reader"], &dir)) {
                (Some(w), Some(r)) => ask(admin, &namespaces[s], &format!("case-{}", row.number), &[w], &r, s),
                _ => "not a stored schema".to_string(),
            };
            cells.insert((row.number.clone(), s.to_string()), (broker, fmc));
        }
    }
    cells
}

/// A case's row of the docs' table: per strategy, the broker's verdict
/// (`✓` accepted, `✗` rejected, `·` not asked), starred where fmc's differs.
fn row(case: &str, cells: &BTreeMap<(String, String), (String, String)>) -> String {
    let mut row = format!("| {case} |");
    for s in STRATEGIES {
        let cell = match cells.get(&(case.to_string(), s.to_string())) {
            None => "·".to_string(),
            Some((broker, fmc)) => {
                let mark = match broker.as_str() {
                    "accepted" => "✓",
                    "rejected" => "✗",
                    _ => "·",
                };
                let differs = mark != "·" && broker != fmc;
                format!("{mark}{}", if differs { "*" } else { "" })
            }
        };
        row.push_str(&format!(" {cell} |"));
    }
    row
}

#[test]
fn apache_pulsar_agrees_with_every_schema_verdict_or_the_difference_is_documented() {
    let Some(admin) = admin_address() else { return };
    let cells = matrix(&admin);
    for ((case, strategy), (broker, _)) in &cells {
        let asked = matches!(broker.as_str(), "accepted" | "rejected" | "not a stored schema");
        assert!(asked, "case {case} under {strategy}: {broker}");
    }
    let doc = std::fs::read_to_string(project_root().join("docs/schema-rules.md")).expect("docs/schema-rules.md");
    let section =
        doc.split("## Apache Pulsar's verdicts").nth(1).expect("docs/schema-rules.md: Apache Pulsar's verdicts");
    let cases: std::collections::BTreeSet<&String> = cells.keys().map(|(c, _)| c).collect();
    let want: Vec<String> = cases.iter().map(|c| row(c, &cells)).collect();
    let documented: Vec<&str> =
        section.lines().filter(|l| l.len() > 4 && l.starts_with("| ") && l.as_bytes()[2].is_ascii_digit()).collect();
    assert_eq!(
        documented,
        want,
        "the broker's verdicts differ from the table; as the broker answered:\n{}",
        want.join("\n")
    );
    // `- **10, 11** (…): why` lists the cases a reason covers.
    let explained: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("- **")?.split("**").next())
        .flat_map(|cases| cases.split(", "))
        .collect();
    for (line, case) in want.iter().zip(&cases) {
        if line.contains('*') {
            assert!(
                explained.contains(&case.as_str()),
                "case {case}: fmc differs from the broker, and no reason is listed"
            );
        }
    }
}
