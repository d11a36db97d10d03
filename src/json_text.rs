//! Compact JSON text with object keys in an order the caller chooses: shared
//! vocabulary for the stages that must write JSON byte for byte (Avro
//! definitions in Avro's own key order, canonical digests with sorted keys).

use serde_json::{Map, Value};

/// `value` as compact JSON, each object's keys in the order `order` gives.
pub fn write(value: &Value, order: &dyn Fn(&Map<String, Value>) -> Vec<&String>) -> String {
    let mut out = String::new();
    write_into(value, order, &mut out);
    out
}

fn write_into(value: &Value, order: &dyn Fn(&Map<String, Value>) -> Vec<&String>, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, k) in order(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_into(&map[k], order, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_into(item, order, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Keys in sorted order (a canonical text, whatever order the keys came in).
pub fn sorted(map: &Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys
}
