//! A schema in the form Pulsar stores it (`{type, schema, properties}`, the
//! admin API's `SchemaInfo`): what `--provision` uploads for a topic and what
//! the runner declares on its producers and consumers, so that the broker
//! checks and records one and the same schema either way. PROTOBUF (not
//! native) is the exception: Pulsar stores the Avro schema the Java client
//! derives from the generated class, which fmc does not derive.

use super::MeshCtx;
use crate::model::dsl::SchemaDecl;
use crate::types::{Kind, Schema};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// `{type, schema, properties}` as Pulsar's admin API takes and returns it;
/// `Ok(None)` for a schema Pulsar does not store (AUTO_CONSUME).
pub(super) fn pulsar_schema(ctx: &MeshCtx, name: &str, schema: &Schema) -> Result<Option<Value>, String> {
    let no_schemas = BTreeMap::new();
    let decls = ctx.spec.schemas.as_ref().unwrap_or(&no_schemas);
    Ok(Some(match schema {
        // Pulsar's admin API refuses a BYTES schema ("the default schema type"): none is uploaded.
        Schema::AutoConsume | Schema::Primitive(Kind::Bytes) => return Ok(None),
        Schema::Primitive(kind) => json!({"type": kind.name()}),
        Schema::Avro(_) | Schema::Json(_) => {
            let definition = ctx.schema_json.get(name).ok_or("its definition was not read")?;
            json!({"type": schema.kind().name(), "schema": avro_text(definition)})
        }
        Schema::Protobuf { native: false, .. } => return Err(PROTOBUF_WHY.into()),
        Schema::Protobuf { file, message, native: true } => {
            let decl = decls.get(name).ok_or("its declaration is missing")?;
            let path = decl.file.as_deref().unwrap_or_default();
            // protoc names a file by its path under the include folder: most often its own name.
            let file_name = std::path::Path::new(path).file_name().map(|f| f.to_string_lossy().to_string());
            let data = crate::types::descriptor::schema_data(file, &file_name.unwrap_or_default(), message)?;
            json!({"type": Kind::ProtobufNative.name(), "schema": data})
        }
        Schema::KeyValue { key, value, encoding } => {
            let decl: &SchemaDecl = decls.get(name).ok_or("its declaration is missing")?;
            // Each part as its own schema data: a definition's JSON text, or `""`
            // for a primitive (Pulsar's `KEY_VALUE_SCHEMA_NULL_STRING`).
            let part = |part_name: &Option<String>, part: &Schema| -> Result<(String, Value), String> {
                let part_name = part_name.as_deref().unwrap_or_default();
                if part.kind().is_primitive() {
                    return Ok(("\"\"".to_string(), json!(part.kind().name())));
                }
                let info = pulsar_schema(ctx, part_name, part)?.ok_or("a KEY_VALUE part is AUTO_CONSUME")?;
                Ok((info["schema"].as_str().unwrap_or_default().to_string(), info["type"].clone()))
            };
            let (key_data, key_type) = part(&decl.key, key)?;
            let (value_data, value_type) = part(&decl.value, value)?;
            json!({
                "type": Kind::KeyValue.name(),
                "schema": format!("{{\"key\":{key_data},\"value\":{value_data}}}"),
                "properties": {
                    "key.schema.name": decl.key.clone().unwrap_or_default(),
                    "key.schema.type": key_type,
                    "key.schema.properties": "{}",
                    "value.schema.name": decl.value.clone().unwrap_or_default(),
                    "value.schema.type": value_type,
                    "value.schema.properties": "{}",
                    "kv.encoding.type": encoding.name(),
                },
            })
        }
    }))
}

/// An Avro definition as compact JSON with its keys in the order Avro's own
/// writer uses (`type`, `name`, `namespace`, … for a named type; `name`,
/// `type`, … for a field), so that it reads as the `.avsc` it came from.
fn avro_text(value: &Value) -> String {
    crate::json_text::write(value, &avro_key_order)
}

fn avro_key_order(map: &Map<String, Value>) -> Vec<&String> {
    const NAMED: &[&str] =
        &["type", "name", "namespace", "doc", "aliases", "fields", "symbols", "items", "values", "size"];
    const FIELD: &[&str] = &["name", "type", "doc", "default", "order", "aliases"];
    let named = matches!(map.get("type").and_then(Value::as_str), Some("record" | "error" | "enum" | "fixed"));
    let first = if map.contains_key("name") && !named { FIELD } else { NAMED };
    let mut keys: Vec<&String> = first.iter().filter_map(|k| map.get_key_value(*k).map(|(k, _)| k)).collect();
    keys.extend(map.keys().filter(|k| !first.contains(&k.as_str())));
    keys
}

pub(super) const PROTOBUF_WHY: &str = "Pulsar stores a PROTOBUF schema as the Avro schema the Java client derives from the generated class (its namespace and field order come from the Java code generator), which fmc does not derive; the topic and its compatibility strategy are provisioned, and the first producer registers the schema. PROTOBUF_NATIVE schemas are provisioned";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avro_definitions_keep_avros_key_order() {
        let def = json!({"fields": [{"type": "string", "default": "", "name": "id"}], "type": "record", "name": "A", "namespace": "x"});
        let text = avro_text(&def);
        assert_eq!(
            text,
            r#"{"type":"record","name":"A","namespace":"x","fields":[{"name":"id","type":"string","default":""}]}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), def, "the same definition");
    }
}
