//! Spanned YAML → typed resources.
//!
//! Typed decoding goes through serde (with `serde_path_to_error` so a type error
//! names the exact field), then the decoded value is encoded again and compared
//! with the input: every key that did not survive the round trip is an unknown
//! field (P007). This catches typos at any depth, including inside Kubernetes core
//! types whose own deserializers silently ignore unknown keys. "Did you mean"
//! candidates come from the type's JSON Schema at that path.

use super::diagnostics as diag;
use super::schema_index::SchemaIndex;

/// A schema index built on first use: only an unknown field needs it, and
/// generating the schema of every Kubernetes type would cost every build.
pub type Schema = std::sync::LazyLock<SchemaIndex>;
use crate::ast::{Document, Node, PathSeg, Value, path_to_string};
use crate::diagnostics::{Diagnostic, Diagnostics};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decodes the value at `path` of `doc` as `T`, reporting every problem.
/// Returns `None` when a type error makes the value unusable.
pub fn decode<T>(doc: &Document, path: &[PathSeg], schema: &Schema, diags: &mut Diagnostics) -> Option<T>
where
    T: DeserializeOwned + Serialize,
{
    decode_json(doc, path, doc.root.lookup(path).to_json(), schema, diags)
}

/// Like [`decode`], for a JSON value already taken from the node at `path`
/// (possibly with some keys removed by the caller).
pub fn decode_json<T>(
    doc: &Document,
    path: &[PathSeg],
    json: serde_json::Value,
    schema: &Schema,
    diags: &mut Diagnostics,
) -> Option<T>
where
    T: DeserializeOwned + Serialize,
{
    // Plain serde first; the path-tracking wrapper only to explain a failure.
    let value: T = match T::deserialize(&json) {
        Ok(v) => v,
        Err(_) => match serde_path_to_error::deserialize::<_, T>(&json) {
            Ok(v) => v,
            Err(e) => {
                diags.push(type_error(doc, path, &e));
                return None;
            }
        },
    };
    let back = serde_json::to_value(&value).expect("invariant: typed values serialize to JSON");
    let mut unknown = Vec::new();
    find_unknown(&json, &back, &mut Vec::new(), &mut unknown);
    for rel in unknown {
        diags.push(unknown_field(doc, path, &rel, schema));
    }
    Some(value)
}

fn type_error(doc: &Document, base: &[PathSeg], e: &serde_path_to_error::Error<serde_json::Error>) -> Diagnostic {
    let mut path = base.to_vec();
    for seg in e.path().iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => path.push(PathSeg::Index(*index)),
            serde_path_to_error::Segment::Map { key } => path.push(PathSeg::Key(key.clone())),
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
        }
    }
    let message = e.inner().to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    let node = doc.root.lookup(&path);
    let path = readable(doc, &path);
    if let Some(field) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
        return diag::missing_field(node.span, field, &path_to_string(&path));
    }
    diag::invalid_value(node.span, &path_to_string(&path), &humanize(&message))
}

/// serde's messages name Rust types ("expected i32"); say it in YAML terms.
fn humanize(message: &str) -> String {
    let message = match message.find("expected struct ") {
        // Rust type names mean nothing to a user: a struct is a mapping of fields.
        Some(at) => format!("{}expected a mapping of fields", &message[..at]),
        None => message.to_string(),
    };
    message
        .replace("invalid type: null", "no value")
        .replace("a boolean", "a boolean (`true` or `false`)")
        .replace("expected i32", "expected a 32-bit integer")
        .replace("expected i64", "expected an integer")
        .replace("invalid type: floating point", "invalid type: number")
}

/// Collects the paths of object keys present in `input` but missing from `output`.
/// Null-valued keys are skipped: they carry no information, so dropping them loses nothing.
fn find_unknown(
    input: &serde_json::Value,
    output: &serde_json::Value,
    at: &mut Vec<PathSeg>,
    out: &mut Vec<Vec<PathSeg>>,
) {
    use serde_json::Value as J;
    match (input, output) {
        (J::Object(i), J::Object(o)) => {
            for (k, v) in i {
                at.push(PathSeg::Key(k.clone()));
                match o.get(k) {
                    Some(ov) => find_unknown(v, ov, at, out),
                    None if !v.is_null() => out.push(at.clone()),
                    None => {}
                }
                at.pop();
            }
        }
        (J::Array(i), J::Array(o)) => {
            for (n, (iv, ov)) in i.iter().zip(o).enumerate() {
                at.push(PathSeg::Index(n));
                find_unknown(iv, ov, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn unknown_field(doc: &Document, base: &[PathSeg], rel: &[PathSeg], schema: &Schema) -> Diagnostic {
    let mut full = base.to_vec();
    full.extend_from_slice(rel);
    let (field, parent_rel) = match rel.split_last() {
        Some((PathSeg::Key(k), parent)) => (k.clone(), parent),
        _ => (String::new(), rel),
    };
    let candidates = schema.properties_at(parent_rel);
    let suggestion = crate::diagnostics::did_you_mean(&field, candidates.iter().map(String::as_str));
    let parent_path = path_to_string(&readable(doc, &full[..full.len() - 1]));
    diag::unknown_field(doc.root.key_span(&full), &field, &parent_path, suggestion)
}

/// `path` with entry positions replaced by the keys they stand for, for messages.
fn readable(doc: &Document, path: &[PathSeg]) -> Vec<PathSeg> {
    let mut out = Vec::with_capacity(path.len());
    for (i, seg) in path.iter().enumerate() {
        match (seg, &doc.root.lookup(&path[..i]).value) {
            (PathSeg::Entry(n), Value::Map(entries)) if *n < entries.len() => {
                out.push(PathSeg::Key(entries[*n].key.clone()))
            }
            _ => out.push(seg.clone()),
        }
    }
    out
}

/// Reads a required string at `key` of a mapping node.
pub fn string_at<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    match node.get(key).map(|n| &n.value) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}
