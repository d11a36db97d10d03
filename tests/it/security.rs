//! Secrets never leak: every corpus file and example is built with every Secret
//! it references present in the input (with recognisable canary values added
//! for the ones it does not ship), and no generated object may contain any
//! Secret value, plain or base64.

use crate::support::*;
use base64::Engine;
use fmc::options::BuildOptions;
use fmc::pipeline::compile;
use fmc::resolve::references::{RefKind, references};

fn inputs() -> Vec<(String, std::path::PathBuf)> {
    let mut all = corpus_files();
    all.extend(example_files());
    all
}

/// Canary Secrets for every Secret the input references but does not contain.
fn canaries(name: &str, text: &str) -> (String, Vec<String>) {
    let sources = sources_from_text_at(name, text);
    let (input, _) = fmc::parse::parse(&sources);
    let options = BuildOptions::default();
    let (lowered, _) = fmc::lower::lower(input.resources.clone(), &input.documents, &sources, &options);
    let (resolved, _) = fmc::resolve::resolve_resources(lowered.resources, &input.documents, &options);
    let mut present: std::collections::BTreeSet<String> = input
        .resources
        .iter()
        .filter_map(|r| match r {
            fmc::model::Resource::Passthrough(p) if p.kind == "Secret" => Some(p.name.clone()),
            _ => None,
        })
        .collect();
    let mut extra = String::new();
    let mut values = Vec::new();
    for comp in &resolved.components {
        for r in references(&comp.spec).into_iter().filter(|r| r.kind == RefKind::Secret) {
            if !present.insert(r.name.clone()) {
                continue;
            }
            let mut data = String::new();
            for key in r.required_keys.iter().chain(["clientAuthenticationParameters".to_string()].iter()) {
                let value = format!("fmc-canary-{}-{key}-s3cr3t", r.name);
                data.push_str(&format!("  {key}: {}\n", base64::engine::general_purpose::STANDARD.encode(&value)));
                values.push(value);
            }
            extra.push_str(&format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {}\n  namespace: {}\ndata:\n{data}",
                r.name, comp.namespace
            ));
        }
    }
    (extra, values)
}

fn secret_values(out: &fmc::pipeline::CompileOutput) -> Vec<String> {
    let mut values = Vec::new();
    for m in out.manifests.iter().filter(|m| m.kind == "Secret" && !m.provenance.is_generated()) {
        for field in ["data", "stringData"] {
            let value = m.value();
            for (_, v) in value.get(field).and_then(|d| d.as_object()).into_iter().flatten() {
                let Some(v) = v.as_str() else { continue };
                let plain = if field == "data" {
                    base64::engine::general_purpose::STANDARD.decode(v).ok().and_then(|b| String::from_utf8(b).ok())
                } else {
                    Some(v.to_string())
                };
                values.extend(plain.clone());
                values.push(base64::engine::general_purpose::STANDARD.encode(plain.unwrap_or_default()));
            }
        }
    }
    values.into_iter().filter(|v| v.len() >= 6).collect()
}

#[test]
fn no_secret_value_reaches_a_generated_object() {
    if !conformance() {
        return;
    }
    let mut checked = 0;
    for (name, path) in inputs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (extra, mut canary_values) = canaries(&path.display().to_string(), &text);
        let full = format!("{text}\n{extra}");
        for options in [
            BuildOptions::default(),
            BuildOptions { cleanup_hooks: true, enable_init_containers: true, ..BuildOptions::default() },
        ] {
            let out = compile(&sources_from_text_at(&path.display().to_string(), &full), &options);
            assert!(!out.has_errors(), "{name}: {:#?}", out.diagnostics);
            let mut values = secret_values(&out);
            values.append(&mut canary_values.clone());
            for m in out.manifests.iter().filter(|m| m.provenance.is_generated()) {
                let text = &m.yaml;
                for v in &values {
                    assert!(!text.contains(v.as_str()), "{name}: {} {} contains a Secret value", m.kind, m.name);
                }
                checked += 1;
            }
        }
        canary_values.clear();
    }
    assert!(checked > 200, "only {checked} objects checked");
}
