//! Rendered equals stored: every quantity fmc generates is in the canonical
//! form the API server writes back, checked by an implementation of the rule
//! of this test's own (in nano-units, unlike fmc's mantissa and exponent), on
//! the API machinery's documented examples, the examples and the corpus; and
//! canonical values are a fixpoint: writing the input's quantities in
//! canonical form renders the same bytes.

use crate::support::*;
use fmc::options::BuildOptions;
use fmc::pipeline::compile;
use serde_json::Value;

/// The canonical text of a quantity, computed as a whole number of nano-units.
fn canonical(text: &str) -> Option<String> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let negative = number.starts_with('-');
    let digits = number.trim_start_matches(['-', '+']);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    // value × 10^9, as an integer; `scale` is the power of 10 still to apply.
    let (pow10, pow2): (i32, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        s if s.starts_with(['e', 'E']) => (s[1..].parse().ok()?, 0),
        _ => return None,
    };
    let mut value: i128 = format!("{int}{frac}").parse().ok()?;
    value = value.checked_mul(1i128 << pow2)?;
    let shift = 9 + pow10 - frac.len() as i32;
    let nanos = if shift >= 0 {
        value.checked_mul(10i128.checked_pow(shift as u32)?)?
    } else {
        let div = 10i128.pow((-shift) as u32);
        (value + div - 1) / div
    };
    let sign = if negative && nanos != 0 { "-" } else { "" };
    let exponent_form = suffix.starts_with(['e', 'E']);
    const GIGA: i128 = 1_000_000_000;
    if suffix.ends_with('i') && nanos % GIGA == 0 && nanos / GIGA >= 1024 {
        let (mut whole, mut unit) = (nanos / GIGA, 0);
        while unit < 6 && whole % 1024 == 0 {
            whole /= 1024;
            unit += 1;
        }
        return Some(format!("{sign}{whole}{}", ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][unit]));
    }
    if nanos == 0 {
        return Some("0".into());
    }
    // The largest multiple of 3 (from nano up) that divides the value evenly.
    let mut exp = -9;
    while nanos % 10i128.pow((exp + 3 + 9) as u32) == 0 && exp < 27 {
        exp += 3;
    }
    let mantissa = nanos / 10i128.pow((exp + 9) as u32);
    let suffix = match (exponent_form, exp) {
        (_, 0) => String::new(),
        (true, e) => format!("e{e}"),
        (false, -9) => "n".into(),
        (false, -6) => "u".into(),
        (false, -3) => "m".into(),
        (false, 3) => "k".into(),
        (false, 6) => "M".into(),
        (false, 9) => "G".into(),
        (false, 12) => "T".into(),
        (false, 15) => "P".into(),
        (false, 18) => "E".into(),
        (false, e) => format!("e{e}"),
    };
    Some(format!("{sign}{mantissa}{suffix}"))
}

#[test]
fn the_tests_rule_agrees_with_the_api_machinerys_examples_and_with_fmc() {
    let documented = [
        ("0.1", "100m"),
        ("1.5", "1500m"),
        ("1.1G", "1100M"),
        ("1000", "1k"),
        ("1024", "1024"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("1.1Gi", "1181116006400m"),
        ("12e6", "12e6"),
        ("1.5e3", "1500"),
        ("5000000n", "5m"),
        ("0", "0"),
    ];
    for (input, want) in documented {
        assert_eq!(canonical(input).as_deref(), Some(want), "the test's rule on {input}");
        assert_eq!(fmc::quantity::canonical(input).as_deref(), Some(want), "fmc on {input}");
    }
}

/// Every quantity at the places the API server canonicalises, in `value`.
fn quantities_in(value: &Value, parent: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (parent, key.as_str()) {
                    ("resources", "limits" | "requests") | (_, "minAllowed" | "maxAllowed") => {
                        out.extend(child.as_object().into_iter().flatten().map(|(_, q)| text(q)))
                    }
                    (_, "sizeLimit") | ("target", "value" | "averageValue") => out.push(text(child)),
                    _ => quantities_in(child, key, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| quantities_in(i, parent, out)),
        _ => {}
    }
}

/// A quantity's text; a number (which a quantity must not be) shows as `#n`.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| format!("#{v}"), str::to_string)
}

fn inputs() -> Vec<(String, std::path::PathBuf)> {
    let mut all = example_files();
    if conformance() {
        all.extend(corpus_files());
    }
    all
}

#[test]
fn every_generated_quantity_is_canonical_and_a_string() {
    let mut checked = 0;
    for (rel, path) in inputs() {
        let out = compile(&sources_from_files(&[&path]), &BuildOptions::default());
        assert!(!out.has_errors(), "{rel}");
        for m in out.manifests.iter().filter(|m| m.provenance.is_generated()) {
            let mut found = Vec::new();
            quantities_in(&m.value(), "", &mut found);
            for q in found {
                assert_eq!(canonical(&q).as_deref(), Some(q.as_str()), "{rel}: {} {}: `{q}`", m.kind, m.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} quantities checked");
}

#[test]
fn canonical_input_quantities_render_the_same_bytes() {
    for (rel, path) in inputs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut diags = fmc::diagnostics::Diagnostics::default();
        let docs = fmc::parse::yaml::read_documents(fmc::source::FileId(0), &text, &mut diags);
        let canonical_text: String = docs
            .iter()
            .map(|d| {
                let mut v = d.root.to_json();
                if v["kind"] != "Mesh" && v["kind"] != "ConfigMap" && v["kind"] != "Secret" {
                    fmc::render::canonical::quantities(&mut v);
                }
                format!("---\n{}", fmc::emit::yaml::to_yaml(&v))
            })
            .collect();
        let at = path.display().to_string();
        let once = compile(&sources_from_text_at(&at, &text), &BuildOptions::default());
        let again = compile(&sources_from_text_at(&at, &canonical_text), &BuildOptions::default());
        assert_eq!(again.yaml(), once.yaml(), "{rel}: canonical input quantities change the output");
    }
}
