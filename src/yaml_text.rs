//! A small, deterministic YAML writer for JSON values.
//!
//! Block style, two-space indentation, keys in sorted order (serde_json's map is
//! a BTreeMap), strings quoted whenever a YAML 1.1 or 1.2 reader could take them
//! for something else (`on`, `no`, `yes`, `0777`, `1e3`, `~`, `null`, leading
//! indicators, `: `, ` #`, …), multi-line strings as literal blocks. Round-trip
//! tests check that reading the output back gives the same value.

use serde_json::Value;
use std::fmt::Write;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(&mut out, value);
    out
}

/// Appends the YAML of `value` to `out`.
pub fn write_yaml(out: &mut String, value: &Value) {
    let out = &mut *out;
    match value {
        Value::Object(m) if !m.is_empty() => write_map(out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, level: usize) {
    for (k, v) in m {
        indent(out, level);
        push_string(out, k);
        out.push(':');
        write_value_after_key(out, v, level);
    }
}

fn write_value_after_key(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, level + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, level);
        }
        Value::String(s) if is_block_candidate(s) => {
            out.push(' ');
            write_block(out, s, level + 2);
        }
        other => {
            out.push(' ');
            push_scalar(out, other);
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, a: &[Value], level: usize) {
    for item in a {
        indent(out, level);
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => {
                let mut first = true;
                for (k, v) in m {
                    if !first {
                        indent(out, level + 2);
                    }
                    first = false;
                    push_string(out, k);
                    out.push(':');
                    write_value_after_key(out, v, level + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                // A nested sequence starts on its own line.
                out.push('\n');
                write_seq(out, inner, level + 2);
            }
            Value::String(s) if is_block_candidate(s) => write_block(out, s, level + 2),
            other => {
                push_scalar(out, other);
                out.push('\n');
            }
        }
    }
}

fn push_scalar(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => push_string(out, s),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Null => out.push_str("null"),
        other => out.push_str(&scalar(other)),
    }
}

fn scalar(v: &Value) -> String {
    scalar_at(v, 0)
}

fn scalar_at(v: &Value, level: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, level),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// Multi-line text without characters a literal block cannot hold.
fn is_block_candidate(s: &str) -> bool {
    s.contains('\n')
        && s.chars().all(|c| c == '\n' || c == '\t' || (!c.is_control() && c != '\u{feff}'))
        && !s.contains('\r')
}

/// A literal block scalar (`|`), with an indentation indicator when the first
/// line starts with a space and the right chomping indicator.
fn write_block(out: &mut String, s: &str, level: usize) {
    out.push('|');
    if s.starts_with([' ', '\t']) || s.starts_with('\n') {
        let _ = write!(out, "2");
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    out.push('\n');
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// A string as a YAML scalar: plain when unambiguous, else double-quoted.
fn string(s: &str, _level: usize) -> String {
    if is_plain_safe(s) { s.to_string() } else { double_quoted(s) }
}

/// [`string`] without the intermediate allocation for plain strings.
fn push_string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        out.push_str(&double_quoted(s));
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}' || c == '\u{85}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const YAML11_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on",
    "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "=", "<<",
];

fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return false };
    if (bytes.len() <= 5 && YAML11_WORDS.contains(&s))
        || (first.is_ascii_digit() || b"+-.".contains(&first)) && looks_numeric(s)
    {
        return false;
    }
    if b"?:,[]{}#&*!|>'\"%@`".contains(&first) {
        return false;
    }
    if first == b'-' && (bytes.len() == 1 || bytes[1] == b' ' || s.starts_with("---")) {
        return false;
    }
    if first == b' ' || last == b' ' || last == b':' {
        return false;
    }
    if first == b'.' && looks_numeric(&s[1..]) {
        return false;
    }
    // One pass: `: `, ` #`, tabs and control characters need quotes.
    let mut prev = 0u8;
    for &b in bytes {
        if b < 0x20 || b == 0x7f || (prev == b':' && b == b' ') || (prev == b' ' && b == b'#') {
            return false;
        }
        prev = b;
    }
    // Non-ASCII: the few Unicode characters YAML treats as breaks or BOM.
    s.is_ascii() || s.chars().all(|c| !c.is_control() && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}'))
}

/// Anything a YAML 1.1 or 1.2 reader might take as a number (ints in any base,
/// floats, sexagesimal `1:20`, `.inf`, `.nan`), conservatively.
fn looks_numeric(s: &str) -> bool {
    let body = s.trim_start_matches(['+', '-']);
    if [".inf", ".nan", "inf", "nan"].iter().any(|w| body.eq_ignore_ascii_case(w)) {
        return true;
    }
    let starts_numeric = body.starts_with(|c: char| c.is_ascii_digit()) || (body.starts_with('.') && body.len() > 1);
    starts_numeric && body.chars().all(|c| c.is_ascii_hexdigit() || "xXoObB_.:eE+-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: &Value) {
        let text = to_yaml(v);
        let mut d = crate::diagnostics::Diagnostics::default();
        let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), &text, &mut d);
        assert!(d.is_empty(), "{text}");
        assert_eq!(&docs[0].root.to_json(), v, "{text}");
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "on", "no", "yes", "0777", "1e3", "~", "null", "1:20", ".5", "-1", "0x1F", "", " a", "a: b", "#x", "- x",
            "true", "@x", "*a", "=", "<<", "-", "---",
        ] {
            let text = to_yaml(&json!({ "k": s }));
            assert!(text.contains('"'), "{s} -> {text}");
            roundtrip(&json!({ "k": s }));
        }
        assert_eq!(to_yaml(&json!({"k": "plain-word"})), "k: plain-word\n");
        assert_eq!(to_yaml(&json!({"k": "-Dflag=1"})), "k: -Dflag=1\n");
    }

    #[test]
    fn nested_structures_roundtrip() {
        roundtrip(&json!({
            "a": [1, "x", {"b": [true, null, {"c": "d"}]}, [1, [2]]],
            "e": {}, "f": [], "g": 1.5, "h": "multi\nline\n", "i": "no newline\nat end",
            "j": "  leading\nspaces", "k": "trailing\n\n", "l": "tab\there", "m": "\u{1}ctl",
            "n": "a'b\"c\\d", "o": ["- x", "multi\nitem"],
        }));
    }
}
