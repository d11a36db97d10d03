//! Named schemas of a mesh → [`Schema`] definitions.
//!
//! AVRO and JSON definitions are Avro records, inline or in an `.avsc` file;
//! PROTOBUF and PROTOBUF_NATIVE name a message of a `.proto` file; KEY_VALUE
//! combines two other named schemas. Files are read relative to the file that
//! declares the mesh. Codes: R006 (unknown schema), R008 (invalid schema).

use super::MeshCtx;
use super::diagnostics as diag;
use crate::model::dsl::SchemaDecl;
use crate::types::{KeyValueEncoding, Kind, Schema, avro, proto};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Resolved schemas by name; a schema that failed to resolve is absent (its
/// error is already reported) so references to it are not reported again.
pub type SchemaTable = BTreeMap<String, Arc<Schema>>;

pub fn resolve(ctx: &mut MeshCtx) -> SchemaTable {
    let decls = ctx.spec.schemas.clone().unwrap_or_default();
    let mut table = SchemaTable::new();
    let mut failed = BTreeSet::new();
    for name in decls.keys() {
        resolve_one(ctx, &decls, name, &mut table, &mut failed, 0);
    }
    table
}

fn resolve_one(
    ctx: &mut MeshCtx,
    decls: &BTreeMap<String, SchemaDecl>,
    name: &str,
    table: &mut SchemaTable,
    failed: &mut BTreeSet<String>,
    depth: usize,
) -> Option<Arc<Schema>> {
    if let Some(s) = table.get(name) {
        return Some(s.clone());
    }
    if failed.contains(name) {
        return None;
    }
    let decl = decls.get(name)?;
    let result = if depth > 16 {
        Err("KEY_VALUE schemas refer to each other in a loop".to_string())
    } else {
        definition(ctx, decls, name, decl, table, failed, depth)
    };
    match result {
        Ok(schema) => {
            let schema = Arc::new(schema);
            table.insert(name.to_string(), schema.clone());
            Some(schema)
        }
        Err(problem) => {
            failed.insert(name.to_string());
            if !problem.is_empty() {
                let span = ctx.key_span(&["schemas", name]);
                ctx.diags.push(diag::invalid_schema(span, name, &problem));
            }
            None
        }
    }
}

/// The definition of one schema; `Err("")` when the problem was reported already.
fn definition(
    ctx: &mut MeshCtx,
    decls: &BTreeMap<String, SchemaDecl>,
    name: &str,
    decl: &SchemaDecl,
    table: &mut SchemaTable,
    failed: &mut BTreeSet<String>,
    depth: usize,
) -> Result<Schema, String> {
    let unused = |field: &str, set: bool| {
        if set { Err(format!("`{field}` does not apply to {}", decl.kind.name())) } else { Ok(()) }
    };
    match decl.kind {
        Kind::Avro | Kind::Json => {
            unused("message", decl.message.is_some())?;
            unused("key", decl.key.is_some() || decl.value.is_some())?;
            let json = avro_json(ctx, name, decl)?;
            let parsed = avro::parse(&json)?;
            ctx.schema_json.insert(name.to_string(), json);
            Ok(if decl.kind == Kind::Avro { Schema::Avro(parsed) } else { Schema::Json(parsed) })
        }
        Kind::Protobuf | Kind::ProtobufNative => {
            unused("definition", decl.definition.is_some())?;
            let file = decl.file.as_deref().ok_or("PROTOBUF schemas need `file` (a .proto file) and `message`")?;
            let message = decl.message.clone().ok_or("PROTOBUF schemas need `message`, the full message name")?;
            let parsed = proto::parse(&ctx.read_file(name, file)?).map_err(|e| format!("{file}: {e}"))?;
            if !parsed.messages.contains_key(&message) {
                let known: Vec<&str> = parsed.messages.keys().map(String::as_str).collect();
                return Err(format!("{file} has no message `{message}` (it has: {})", known.join(", ")));
            }
            Ok(Schema::Protobuf { file: Arc::new(parsed), message, native: decl.kind == Kind::ProtobufNative })
        }
        Kind::KeyValue => {
            let mut part = |field: &str, value: &Option<String>| -> Result<Schema, String> {
                let Some(r) = value else { return Err(format!("KEY_VALUE schemas need `{field}`")) };
                match resolve_one(ctx, decls, r, table, failed, depth + 1) {
                    Some(s) => Ok((*s).clone()),
                    None if decls.contains_key(r) => Err(String::new()),
                    None => {
                        let span = ctx.span(&["schemas", name, field]);
                        let close = ctx.closest(r, decls.keys(), &["schemas"]);
                        ctx.diags.push(diag::unknown("R006", "schema", span, r, close, "schemas"));
                        Err(String::new())
                    }
                }
            };
            let key = part("key", &decl.key)?;
            let value = part("value", &decl.value)?;
            let encoding = decl.encoding.unwrap_or(KeyValueEncoding::Inline);
            Ok(Schema::KeyValue { key: Box::new(key), value: Box::new(value), encoding })
        }
        Kind::AutoConsume => Ok(Schema::AutoConsume),
        primitive => {
            let extra =
                decl.definition.is_some() || decl.file.is_some() || decl.message.is_some() || decl.key.is_some();
            unused("definition", extra)?;
            Ok(Schema::Primitive(primitive))
        }
    }
}

/// The Avro JSON of an AVRO/JSON schema: inline (a mapping, or a JSON string) or from `file`.
fn avro_json(ctx: &mut MeshCtx, name: &str, decl: &SchemaDecl) -> Result<serde_json::Value, String> {
    match (&decl.definition, &decl.file) {
        (Some(_), Some(_)) => Err("give either `definition` or `file`, not both".into()),
        (Some(serde_json::Value::String(text)), None) => {
            serde_json::from_str(text).map_err(|e| format!("`definition` is not JSON: {e}"))
        }
        (Some(v), None) => Ok(v.clone()),
        (None, Some(file)) => {
            serde_json::from_str(&ctx.read_file(name, file)?).map_err(|e| format!("{file} is not JSON: {e}"))
        }
        (None, None) => Err(format!("{} schemas need `definition` or `file`", decl.kind.name())),
    }
}
