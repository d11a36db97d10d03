//! Declared input schemas in the form the runner checks payloads against
//! (engine/src/validate.rs): the runner has no compiler types, so a schema
//! travels as a small JSON tree whose named types sit in a table.
//!
//! KEY_VALUE, AUTO_CONSUME and BYTES carry nothing the runner can check and
//! are left out; protobuf is checked for well-formed wire encoding only.

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
        Schema::Primitive(Kind::Bytes) | Schema::KeyValue { .. } | Schema::AutoConsume => None,
        Schema::Primitive(kind) => Some(json!({"format": "primitive", "kind": kind.name()})),
        Schema::Avro(avro) => Some(avro_types("avro", avro)),
        Schema::Json(avro) => Some(avro_types("json", avro)),
        Schema::Protobuf { .. } => Some(json!({"format": "protobuf"})),
    }
}

fn avro_types(format: &str, schema: &AvroSchema) -> Value {
    let named: serde_json::Map<String, Value> =
        schema.named.iter().map(|(name, n)| (name.clone(), named_type(&n.def))).collect();
    json!({"format": format, "root": ty(&schema.root), "named": named})
}

fn named_type(def: &NamedDef) -> Value {
    match def {
        NamedDef::Record { fields } => {
            let fields: Vec<Value> =
                fields.iter().map(|f| json!({"name": f.name, "type": ty(&f.ty), "optional": f.has_default})).collect();
            json!({"record": fields})
        }
        NamedDef::Enum { symbols, .. } => json!({"enum": symbols}),
        NamedDef::Fixed { size } => json!({"fixed": size}),
    }
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
