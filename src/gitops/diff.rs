//! `fmc diff OLD NEW`: a per-object, per-field diff of two compilations, so a
//! reviewer reads "StatefulSet default/x: spec.replicas 1 → 3" instead of text.
//!
//! Objects are matched by kind, namespace and name; list elements that carry a
//! unique `name` (containers, volumes, env vars, ports) are matched by name, so an
//! insertion does not show as a change of every later element.

use crate::render::Manifest;
use serde_json::Value;
use std::collections::BTreeMap;

type Key = (String, String, String);

fn key(m: &Manifest) -> Key {
    (m.kind.clone(), m.namespace.clone(), m.name.clone())
}

fn label((kind, ns, name): &Key) -> String {
    if ns.is_empty() { format!("{kind} {name}") } else { format!("{kind} {ns}/{name}") }
}

/// One line per difference, in a stable order; empty when the two agree.
pub fn semantic_diff(old: &[Manifest], new: &[Manifest]) -> Vec<String> {
    let old: BTreeMap<Key, Value> = old.iter().map(|m| (key(m), m.value())).collect();
    let new: BTreeMap<Key, Value> = new.iter().map(|m| (key(m), m.value())).collect();
    let mut out = Vec::new();
    for (k, v) in &old {
        match new.get(k) {
            None => out.push(format!("- {} removed", label(k))),
            Some(n) => {
                let mut fields = Vec::new();
                compare(v, n, String::new(), &mut fields);
                out.extend(fields.into_iter().map(|f| format!("~ {}: {f}", label(k))));
            }
        }
    }
    for k in new.keys().filter(|k| !old.contains_key(*k)) {
        out.push(format!("+ {} added", label(k)));
    }
    out
}

fn join(path: &str, seg: &str) -> String {
    if path.is_empty() { seg.to_string() } else { format!("{path}.{seg}") }
}

fn show(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let flat = text.replace('\n', "⏎");
    if flat.chars().count() > 80 { format!("{}…", flat.chars().take(79).collect::<String>()) } else { flat }
}

fn named(items: &[Value]) -> Option<BTreeMap<String, &Value>> {
    let map: BTreeMap<String, &Value> =
        items.iter().filter_map(|v| Some((v.get("name")?.as_str()?.to_string(), v))).collect();
    (map.len() == items.len()).then_some(map)
}

fn compare(old: &Value, new: &Value, path: String, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, av) in a {
                match b.get(k) {
                    Some(bv) => compare(av, bv, join(&path, k), out),
                    None => out.push(format!("{} removed (was {})", join(&path, k), show(av))),
                }
            }
            for (k, bv) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(format!("{} added: {}", join(&path, k), show(bv)));
            }
        }
        (Value::Array(a), Value::Array(b)) => compare_lists(a, b, &path, out),
        (Value::String(a), Value::String(b)) if a != b => compare_texts(a, b, &path, out),
        _ if old != new => out.push(format!("{path} {} → {}", show(old), show(new))),
        _ => {}
    }
}

/// Two strings that differ: when both embed a document of the same kind (a
/// runner configuration's JSON, a log configuration's YAML, a command's
/// `--function_details`), the keys that changed inside it, as
/// `path⟨what⟩.key`; the text around it when that changed too; else the
/// strings themselves.
fn compare_texts(a: &str, b: &str, path: &str, out: &mut Vec<String>) {
    match (embedded(a), embedded(b)) {
        (Some((label_a, doc_a, rest_a)), Some((label_b, doc_b, rest_b))) if label_a == label_b => {
            let inner = format!("{path}⟨{label_a}⟩");
            let before = out.len();
            compare(&doc_a, &doc_b, inner.clone(), out);
            if rest_a != rest_b || out.len() == before {
                out.push(format!("{path} {} → {}", show(&rest_a.into()), show(&rest_b.into())));
            }
        }
        _ => out.push(format!("{path} {} → {}", show(&a.into()), show(&b.into()))),
    }
}

/// The document a string embeds: what it is, the document, and the text
/// around it (empty when the whole string is the document).
fn embedded(text: &str) -> Option<(&'static str, Value, String)> {
    let trimmed = text.trim_start();
    if trimmed.starts_with(['{', '[']) {
        let value: Value = serde_json::from_str(text).ok()?;
        return Some(("json", value, String::new()));
    }
    if let Some(found) = function_details(text) {
        return Some(found);
    }
    // A YAML mapping over several lines (a log configuration, a config file).
    if text.contains('\n') && text.contains(": ") {
        let mut diags = crate::diagnostics::Diagnostics::default();
        let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), text, &mut diags);
        if !diags.has_errors() && docs.len() == 1 && docs[0].root.to_json().is_object() {
            return Some(("yaml", docs[0].root.to_json(), String::new()));
        }
    }
    None
}

/// A command's `--function_details '…'` argument (single-quoted as
/// `render::shell::quote` writes it), parsed, and the command without it.
fn function_details(text: &str) -> Option<(&'static str, Value, String)> {
    const FLAG: &str = "--function_details '";
    let start = text.find(FLAG)? + FLAG.len();
    let mut json = String::new();
    let mut rest = &text[start..];
    loop {
        let end = rest.find('\'')?;
        json.push_str(&rest[..end]);
        rest = &rest[end + 1..];
        // `'"'"'` is a quote inside the quoted word; anything else ends it.
        match rest.strip_prefix("\"'\"'") {
            Some(after) => {
                json.push('\'');
                rest = after;
            }
            None => break,
        }
    }
    let value: Value = serde_json::from_str(&json).ok()?;
    let around = format!("{}{FLAG}…'{rest}", &text[..start - FLAG.len()]);
    Some(("--function_details", value, around))
}

fn compare_lists(a: &[Value], b: &[Value], path: &str, out: &mut Vec<String>) {
    if let (Some(na), Some(nb)) = (named(a), named(b)) {
        for (name, av) in &na {
            let p = format!("{path}[{name}]");
            match nb.get(name) {
                Some(bv) => compare(av, bv, p, out),
                None => out.push(format!("{p} removed")),
            }
        }
        for name in nb.keys().filter(|n| !na.contains_key(*n)) {
            out.push(format!("{path}[{name}] added"));
        }
        return;
    }
    for i in 0..a.len().max(b.len()) {
        let p = format!("{path}[{i}]");
        match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => compare(x, y, p, out),
            (Some(x), None) => out.push(format!("{p} removed (was {})", show(x))),
            (None, Some(y)) => out.push(format!("{p} added: {}", show(y))),
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_inside_embedded_documents_name_their_keys() {
        let runner = |jq: &str| json!({"data": {"runner.json": format!("{{\n  \"function\": {{\"jq\": {{\"program\": \"{jq}\"}}}},\n  \"name\": \"f\"\n}}\n")}});
        let mut out = Vec::new();
        compare(&runner("."), &runner(".x"), String::new(), &mut out);
        assert_eq!(out, vec!["data.runner.json⟨json⟩.function.jq.program . → .x"]);
        let command = |threshold: u32| {
            let details =
                crate::render::shell::quote(&format!(r#"{{"userConfig":{{"threshold":{threshold},"who":"it's"}}}}"#));
            json!({"command": ["sh", "-c", format!("exec java --function_details {details} --port 9093")]})
        };
        let mut out = Vec::new();
        compare(&command(3), &command(4), String::new(), &mut out);
        assert_eq!(out, vec!["command[2]⟨--function_details⟩.userConfig.threshold 3 → 4"]);
        let log =
            |level: &str| json!({"data": {"log.yaml": format!("Configuration:\n  status: {level}\n  name: fn\n")}});
        let mut out = Vec::new();
        compare(&log("info"), &log("debug"), String::new(), &mut out);
        assert_eq!(out, vec!["data.log.yaml⟨yaml⟩.Configuration.status info → debug"]);
        let mut out = Vec::new();
        compare(&json!("plain a"), &json!("plain b"), "x".into(), &mut out);
        assert_eq!(out, vec!["x plain a → plain b"]);
    }

    fn m(kind: &str, name: &str, value: Value) -> Manifest {
        Manifest {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: "ns".into(),
            name: name.into(),
            yaml: crate::emit::yaml::to_yaml(&value),
            provenance: crate::model::Provenance::generated(0),
        }
    }

    #[test]
    fn reports_field_paths_and_matches_named_list_items() {
        let old = vec![
            m(
                "StatefulSet",
                "x",
                json!({"spec": {"replicas": 1, "containers": [{"name": "a", "image": "i:1"}, {"name": "b"}]}}),
            ),
            m("Service", "gone", json!({})),
        ];
        let new = vec![
            m(
                "StatefulSet",
                "x",
                json!({"spec": {"replicas": 3, "containers": [{"name": "z"}, {"name": "a", "image": "i:2"}, {"name": "b"}]}}),
            ),
            m("Service", "new", json!({})),
        ];
        assert_eq!(
            semantic_diff(&old, &new),
            vec![
                "- Service ns/gone removed",
                "~ StatefulSet ns/x: spec.containers[a].image i:1 → i:2",
                "~ StatefulSet ns/x: spec.containers[z] added",
                "~ StatefulSet ns/x: spec.replicas 1 → 3",
                "+ Service ns/new added",
            ]
        );
        assert!(semantic_diff(&old, &old).is_empty());
    }
}
