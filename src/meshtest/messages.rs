//! Test messages as records, and records as values, through a topic's schema.

use super::file::{Expectation, Message};
use fmc_engine::codec::decode_schemaless;
use fmc_engine::function::Record;
use fmc_engine::validate::PayloadSchema;

/// The payload a test message states: a `value` encoded with the topic's
/// schema (JSON without one), or `text` / `base64` as given.
pub fn raw_record(m: &Message, schema: Option<&PayloadSchema>) -> Result<Record, String> {
    let given = [m.value.is_some(), m.text.is_some(), m.base64.is_some()].iter().filter(|g| **g).count();
    if given != 1 {
        return Err("a message gives exactly one of `value`, `text` and `base64`".into());
    }
    let mut key_bytes = None;
    let payload = if let Some(value) = &m.value {
        match schema {
            Some(s) => {
                // A SEPARATED KEY_VALUE value's key is the message key.
                let (payload, value_key) = s.encode_message(value)?;
                if value_key.is_some() && m.key.is_some() {
                    return Err(
                        "on a SEPARATED KEY_VALUE topic the key is the value's `key`; leave out the message's `key`"
                            .into(),
                    );
                }
                key_bytes = value_key;
                payload
            }
            None => value.to_string().into_bytes(),
        }
    } else if let Some(text) = &m.text {
        text.clone().into_bytes()
    } else {
        use base64::Engine;
        let b64 = m.base64.as_deref().unwrap_or_default();
        base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| format!("`base64` does not decode: {e}"))?
    };
    let mut record = Record {
        payload,
        key: m.key.clone(),
        properties: m.properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        event_time: m.event_time,
        ..Record::default()
    };
    if let Some(bytes) = key_bytes {
        record.set_key_bytes(&bytes);
    }
    Ok(record)
}

/// A payload as a value: decoded with the topic's schema, else JSON or text.
pub fn value_of(record: &Record, schema: Option<&PayloadSchema>) -> serde_json::Value {
    let payload = &record.payload;
    match schema {
        Some(s) => {
            s.decode_message(payload, record.key_bytes().as_deref()).unwrap_or_else(|_| decode_schemaless(payload))
        }
        None => decode_schemaless(payload),
    }
}

/// How a record reads in a failure: its value, key and properties.
pub fn describe(record: &Record, schema: Option<&PayloadSchema>) -> String {
    let mut out = value_of(record, schema).to_string();
    if let Some(k) = record.key_text() {
        out.push_str(&format!(" (key {k:?})"));
    }
    if !record.properties.is_empty() {
        let props: Vec<String> = record.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!(" [{}]", props.join(", ")));
    }
    out
}

/// Every way `record` differs from what `want` says; empty when it matches.
pub fn mismatches(record: &Record, want: &Expectation, schema: Option<&PayloadSchema>) -> Vec<String> {
    let mut out = Vec::new();
    let value = value_of(record, schema);
    if let Some(expected) = &want.value
        && !same_value(expected, &value)
    {
        out.push(format!("value: expected {expected}, got {value}{}", value_diff(expected, &value)));
    }
    if let Some(text) = &want.text
        && text.as_bytes() != record.payload.as_slice()
    {
        out.push(format!("text: expected {text:?}, got {:?}", String::from_utf8_lossy(&record.payload)));
    }
    if let Some(encoded) = &want.base64 {
        use base64::Engine;
        match base64::engine::general_purpose::STANDARD.decode(encoded) {
            Ok(bytes) if bytes == record.payload => {}
            Ok(_) => out.push(format!(
                "base64: expected {encoded}, got {}",
                base64::engine::general_purpose::STANDARD.encode(&record.payload)
            )),
            Err(e) => out.push(format!("base64: `{encoded}` is not base64: {e}")),
        }
    }
    if let Some(program) = &want.jq {
        match predicate(program, &value) {
            Ok(true) => {}
            Ok(false) => out.push(format!("jq `{program}` is not true of {value}")),
            Err(e) => out.push(format!("jq `{program}`: {e}")),
        }
    }
    // A base64 key (a SEPARATED KEY_VALUE's) compares as the text it encodes.
    if let Some(key) = &want.key
        && record.key_text().as_deref() != Some(key)
    {
        out.push(format!("key: expected {key:?}, got {:?}", record.key_text()));
    }
    for (k, v) in &want.properties {
        let have = record.properties.iter().find(|(pk, _)| pk == k).map(|(_, pv)| pv);
        if have != Some(v) {
            out.push(format!("property {k}: expected {v:?}, got {have:?}"));
        }
    }
    out
}

/// For records and lists, the changed lines of the two values written out
/// (`-` expected, `+` got), so the field at fault stands out in a large value.
fn value_diff(expected: &serde_json::Value, got: &serde_json::Value) -> String {
    let nested = |v: &serde_json::Value| v.is_object() || v.is_array();
    if !nested(expected) || !nested(got) {
        return String::new();
    }
    let pretty = |v| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let (a, b) = (pretty(expected), pretty(got));
    let diff = similar::TextDiff::from_lines(&a, &b);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal => continue,
        };
        out.push_str(&format!("\n      {sign} {}", change.value().trim_end()));
    }
    out
}

/// JSON equality where numbers compare by value (`1500` equals `1500.0`).
fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (V::Array(x), V::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b)),
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Whether a jq program's first result on `value` is `true`.
fn predicate(program: &str, value: &serde_json::Value) -> Result<bool, String> {
    use fmc_engine::function::UserFunction;
    let mut jq = super::bounded::jq(program, &fmc_engine::function::Context::default())?;
    let input = Record { payload: value.to_string().into_bytes(), ..Record::default() };
    let results = jq.process(&input)?;
    Ok(results.first().is_some_and(|r| r.payload == b"true"))
}
