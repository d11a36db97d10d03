//! Declared input schemas in the form the runner checks payloads against
//! (engine/src/validate.rs): the runner has no compiler types, so a schema
//! travels as a small JSON tree whose named types sit in a table.
//!
//! AUTO_CONSUME and BYTES carry nothing the runner can check and are left
//! out (a BYTES part of a KEY_VALUE is its bytes as text); protobuf is checked
//! for well-formed wire encoding only. Record fields carry their defaults and
//! aliases and enums their default symbols: a reader resolving another
//! writer's value needs them (engine/src/codec.rs).

use crate::types::avro::{Avro, AvroSchema, NamedDef};
use crate::types::{Kind, Schema, SchemaInfo};
use serde_json::{Value, json};

/// The runner's `inputSchemas` entry for one input end, if it can check one.
pub fn payload_schema(info: &SchemaInfo) -> Option<Value> {
    let SchemaInfo::Known { schema, .. } = info else { return None };
    of_schema(schema)
}

/// The same, for a schema definition (a topic's declared schema).
pub fn of_schema(schema: &Schema) -> Option<Value> {
    match schema {
        Schema::Primitive(Kind::Bytes) | Schema::AutoConsume => None,
        Schema::KeyValue { key, value, encoding } => Some(json!({
            "format": "keyValue",
            "key": part(key)?,
            "value": part(value)?,
            "separated": *encoding == crate::types::KeyValueEncoding::Separated,
        })),
        Schema::Primitive(kind) => Some(json!({"format": "primitive", "kind": kind.name()})),
        Schema::Avro(avro) => Some(avro_types("avro", avro)),
        Schema::Json(avro) => Some(avro_types("json", avro)),
        Schema::Protobuf { .. } => Some(json!({"format": "protobuf"})),
    }
}

/// One part of a KEY_VALUE: BYTES is checked as nothing and read as text.
fn part(schema: &Schema) -> Option<Value> {
    match schema {
        Schema::Primitive(Kind::Bytes) => Some(json!({"format": "primitive", "kind": "BYTES"})),
        Schema::KeyValue { .. } => None,
        other => of_schema(other),
    }
}

fn avro_types(format: &str, schema: &AvroSchema) -> Value {
    let named: serde_json::Map<String, Value> =
        schema.named.iter().map(|(name, n)| (name.clone(), named_type(&n.def))).collect();
    let enum_defaults: serde_json::Map<String, Value> = schema
        .named
        .iter()
        .filter_map(|(name, n)| match &n.def {
            NamedDef::Enum { default: Some(d), .. } => Some((name.clone(), d.clone().into())),
            _ => None,
        })
        .collect();
    let mut out = json!({"format": format, "root": ty(&schema.root), "named": named});
    if !enum_defaults.is_empty() {
        out["enumDefaults"] = enum_defaults.into();
    }
    out
}

fn named_type(def: &NamedDef) -> Value {
    match def {
        NamedDef::Record { fields } => json!({"record": fields.iter().map(field).collect::<Vec<_>>()}),
        NamedDef::Enum { symbols, .. } => json!({"enum": symbols}),
        NamedDef::Fixed { size } => json!({"fixed": size}),
    }
}

fn field(f: &crate::types::avro::Field) -> Value {
    let mut out = json!({"name": f.name, "type": ty(&f.ty), "optional": f.has_default});
    if let Some(default) = &f.default {
        out["default"] = default.clone();
    }
    if !f.aliases.is_empty() {
        out["aliases"] = f.aliases.clone().into();
    }
    out
}

fn ty(t: &Avro) -> Value {
    match t {
        Avro::Null => "null".into(),
        Avro::Boolean => "boolean".into(),
        Avro::Int => "int".into(),
        Avro::Long => "long".into(),
        Avro::Float => "float".into(),
        Avro::Double => "double".into(),
        Avro::Bytes => "bytes".into(),
        Avro::String => "string".into(),
        Avro::Array(item) => json!({"array": ty(item)}),
        Avro::Map(value) => json!({"map": ty(value)}),
        Avro::Union(branches) => json!({"union": branches.iter().map(ty).collect::<Vec<_>>()}),
        Avro::Named(name) => json!({"ref": name}),
        Avro::Logical(inner, _) => ty(inner),
    }
}
