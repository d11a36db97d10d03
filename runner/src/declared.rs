//! The schema the runner declares to the broker on its producers and its
//! consumer: what any Pulsar client with a typed schema does. Without it, a
//! namespace with `schemaValidationEnforced` refuses the runner's producers
//! and consumers on topics that have a schema, and the broker neither checks
//! nor records what the function writes.
//!
//! The configuration carries each schema as Pulsar's admin API shows it (the
//! form `--provision` uploads); the binary protocol differs only for
//! KEY_VALUE, whose two parts travel as length-prefixed bytes rather than as
//! a JSON object.

use fmc_engine::config::DeclaredSchema;
use pulsar::message::proto::{self, schema::Type};

/// `declared` as the binary protocol's `Schema`, named after `topic`.
pub fn wire_schema(topic: &str, declared: &DeclaredSchema) -> Result<proto::Schema, String> {
    let kind = wire_type(&declared.kind).ok_or_else(|| format!("unknown schema type `{}`", declared.kind))?;
    let schema_data = match kind {
        Type::KeyValue => key_value_data(&declared.schema)?,
        _ => declared.schema.as_bytes().to_vec(),
    };
    let name = topic.rsplit('/').next().unwrap_or(topic).to_string();
    let properties = declared
        .properties
        .iter()
        .map(|(key, value)| proto::KeyValue { key: key.clone(), value: value.clone() })
        .collect();
    Ok(proto::Schema { name, schema_data, r#type: kind as i32, properties })
}

fn wire_type(name: &str) -> Option<Type> {
    Some(match name {
        "STRING" => Type::String,
        "JSON" => Type::Json,
        "PROTOBUF" => Type::Protobuf,
        "AVRO" => Type::Avro,
        "BOOLEAN" => Type::Bool,
        "INT8" => Type::Int8,
        "INT16" => Type::Int16,
        "INT32" => Type::Int32,
        "INT64" => Type::Int64,
        "FLOAT" => Type::Float,
        "DOUBLE" => Type::Double,
        "DATE" => Type::Date,
        "TIME" => Type::Time,
        "TIMESTAMP" => Type::Timestamp,
        "KEY_VALUE" => Type::KeyValue,
        "INSTANT" => Type::Instant,
        "LOCAL_DATE" => Type::LocalDate,
        "LOCAL_TIME" => Type::LocalTime,
        "LOCAL_DATE_TIME" => Type::LocalDateTime,
        "PROTOBUF_NATIVE" => Type::ProtobufNative,
        _ => return None,
    })
}

/// `{"key": K, "value": V}` → 4-byte big-endian length, K's bytes, the same
/// for V; a part given as `""` (a primitive) is empty, as the broker's admin
/// API converts it.
fn key_value_data(text: &str) -> Result<Vec<u8>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("a KEY_VALUE schema is not a JSON object: {e}"))?;
    let mut out = Vec::new();
    for part in ["key", "value"] {
        let value = doc.get(part).ok_or_else(|| format!("a KEY_VALUE schema has no `{part}`"))?;
        let bytes = match value {
            serde_json::Value::String(s) if s.is_empty() => Vec::new(),
            other => other.to_string().into_bytes(),
        };
        let len = u32::try_from(bytes.len()).map_err(|_| "a KEY_VALUE part is too large".to_string())?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(kind: &str, schema: &str) -> DeclaredSchema {
        DeclaredSchema { kind: kind.into(), schema: schema.into(), properties: Default::default() }
    }

    #[test]
    fn avro_travels_as_its_definition_and_is_named_after_the_topic() {
        let def = r#"{"type":"record","name":"A","fields":[]}"#;
        let wire = wire_schema("persistent://public/default/orders", &declared("AVRO", def)).unwrap();
        assert_eq!((wire.name.as_str(), wire.r#type, wire.schema_data.as_slice()), ("orders", 4, def.as_bytes()));
    }

    #[test]
    fn key_value_parts_travel_length_prefixed_and_a_primitive_part_is_empty() {
        let wire = wire_schema("t", &declared("KEY_VALUE", r#"{"key":"","value":{"type":"string"}}"#)).unwrap();
        let value = br#"{"type":"string"}"#;
        let mut want = vec![0, 0, 0, 0, 0, 0, 0, value.len() as u8];
        want.extend_from_slice(value);
        assert_eq!(wire.schema_data, want);
        assert_eq!(wire.r#type, Type::KeyValue as i32);
    }

    #[test]
    fn an_unknown_type_or_a_malformed_key_value_is_an_error() {
        assert!(wire_schema("t", &declared("AUTO_CONSUME", "")).unwrap_err().contains("AUTO_CONSUME"));
        assert!(wire_schema("t", &declared("KEY_VALUE", "[]")).unwrap_err().contains("no `key`"));
    }
}
