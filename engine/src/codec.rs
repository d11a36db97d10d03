//! Payloads as values: a JSON value encoded as a topic's schema encodes it on
//! the wire, and a payload decoded back to JSON.
//!
//! Why: `fmc test` states messages as YAML values and compares what arrives as
//! values, whatever the topic carries — Avro binary, JSON text or a Pulsar
//! primitive — so a test reads like the data and not like its bytes. The
//! encodings are the ones [`crate::validate`] checks, over the same schema tree,
//! so a message `fmc test` builds is one the runner accepts.
//!
//! Avro follows the plain JSON form of a value (a union takes the value of
//! its first branch that fits, not Avro's `{"type": value}` wrapper); a record
//! field left out is written as null where the field's type allows it.

use crate::validate::{AvroReader, AvroTypes, KeyValueTypes, PayloadSchema, Ty, inline_parts, json, resolve};
use crate::varint;
use serde_json::Value;

const MAX_DEPTH: usize = 64;

impl PayloadSchema {
    /// The payload that carries `value` under this schema.
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        self.encode_message(value).map(|(payload, _)| payload)
    }

    /// The payload and, for a SEPARATED KEY_VALUE, the message key's bytes
    /// that carry `value`.
    pub fn encode_message(&self, value: &Value) -> Result<(Vec<u8>, Option<Vec<u8>>), String> {
        let payload = match self {
            PayloadSchema::Avro(types) => {
                let mut out = Vec::new();
                Writer { out: &mut out, types }.value(value, &types.root, 0)?;
                out
            }
            PayloadSchema::Json(_) => {
                let text = value.to_string().into_bytes();
                self.check(&text)?;
                text
            }
            PayloadSchema::Primitive { kind } => encode_primitive(kind, value)?,
            PayloadSchema::Protobuf {} => return Err("a protobuf payload is given as `base64`, not as a value".into()),
            PayloadSchema::KeyValue(kv) => return encode_key_value(kv, value),
        };
        Ok((payload, None))
    }

    /// The value a payload carries under this schema.
    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        self.decode_message(payload, None)
    }

    /// The value a message carries: its payload and, for a SEPARATED
    /// KEY_VALUE, its key's bytes.
    pub fn decode_message(&self, payload: &[u8], key: Option<&[u8]>) -> Result<Value, String> {
        self.check(payload)?;
        match self {
            PayloadSchema::Avro(types) => AvroReader::new(payload, types).read_value(&types.root, 0),
            PayloadSchema::Json(_) => serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}")),
            PayloadSchema::Primitive { kind } => decode_primitive(kind, payload),
            PayloadSchema::Protobuf {} => Err("a protobuf payload has no value without its descriptor".into()),
            PayloadSchema::KeyValue(kv) => decode_key_value(kv, payload, key),
        }
    }

    /// A value another writer's schema gave, as this (reader's) schema reads
    /// it: Avro's schema resolution on values. Fields the reader lacks are
    /// dropped, fields the writer lacks take the reader's default, a field
    /// may come under one of its aliases, an unknown enum symbol becomes the
    /// reader's default symbol, and a union takes its first branch that fits.
    /// Other schemas read the value as it is.
    pub fn resolve(&self, value: Value) -> Result<Value, String> {
        match self {
            PayloadSchema::Avro(types) | PayloadSchema::Json(types) => resolve_value(value, &types.root, types, 0),
            _ => Ok(value),
        }
    }
}

fn resolve_value(value: Value, ty: &Ty, types: &AvroTypes, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    let name = match ty {
        Ty::Ref(name) => Some(name.as_str()),
        _ => None,
    };
    Ok(match (resolve(ty, types)?, value) {
        (Ty::Record(fields), Value::Object(mut written)) => {
            let mut read = serde_json::Map::new();
            for f in fields {
                let found = written.remove(&f.name).or_else(|| f.aliases.iter().find_map(|a| written.remove(a)));
                let v = match (found, &f.default) {
                    (Some(v), _) => {
                        resolve_value(v, &f.ty, types, depth + 1).map_err(|e| format!("field `{}`: {e}", f.name))?
                    }
                    (None, Some(default)) => default.clone(),
                    (None, None) => return Err(format!("field `{}` is not written and has no default", f.name)),
                };
                read.insert(f.name.clone(), v);
            }
            Value::Object(read)
        }
        (Ty::Enum(symbols), Value::String(s)) if !symbols.contains(&s) => {
            let default = name.and_then(|n| types.enum_defaults.get(n));
            Value::String(default.cloned().ok_or_else(|| format!("`{s}` is not a symbol the reader knows"))?)
        }
        (Ty::Array(item), Value::Array(items)) => {
            Value::Array(items.into_iter().map(|v| resolve_value(v, item, types, depth + 1)).collect::<Result<_, _>>()?)
        }
        (Ty::Map(item), Value::Object(map)) => Value::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, resolve_value(v, item, types, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        ),
        (Ty::Union(branches), v) => branches
            .iter()
            .find_map(|b| {
                let r = resolve_value(v.clone(), b, types, depth + 1).ok()?;
                json(&r, b, types, depth + 1).is_ok().then_some(r)
            })
            .ok_or("the value fits no branch of the reader's union")?,
        // Primitives: Avro's promotions (int to long, float, double; string
        // and bytes) keep the JSON value.
        (_, v) => v,
    })
}

/// KEY_VALUE as the value `{"key": …, "value": …}`.
fn encode_key_value(kv: &KeyValueTypes, value: &Value) -> Result<(Vec<u8>, Option<Vec<u8>>), String> {
    let part = |name: &str, schema: &PayloadSchema| -> Result<Option<Vec<u8>>, String> {
        match value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => schema.encode(v).map(Some).map_err(|e| format!("the {name}: {e}")),
        }
    };
    let shaped = value.as_object().is_some_and(|o| o.keys().all(|k| k == "key" || k == "value"));
    if !shaped {
        return Err(format!("a KEY_VALUE value is {{\"key\": …, \"value\": …}}, given {value}"));
    }
    let (key, val) = (part("key", &kv.key)?, part("value", &kv.value)?);
    if kv.separated {
        return Ok((val.unwrap_or_default(), key));
    }
    let mut out = Vec::new();
    for p in [key, val] {
        match p {
            Some(bytes) => {
                let n = i32::try_from(bytes.len()).map_err(|_| "a KEY_VALUE part over 2 GiB")?;
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(&bytes);
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    Ok((out, None))
}

fn decode_key_value(kv: &KeyValueTypes, payload: &[u8], key: Option<&[u8]>) -> Result<Value, String> {
    let part = |bytes: Option<&[u8]>, schema: &PayloadSchema, name: &str| -> Result<Value, String> {
        bytes.map_or(Ok(Value::Null), |b| schema.decode(b).map_err(|e| format!("the {name}: {e}")))
    };
    let (key_bytes, value_bytes) = if kv.separated { (key, Some(payload)) } else { inline_parts(payload)? };
    let key = part(key_bytes, &kv.key, "key")?;
    let value = part(value_bytes, &kv.value, "value")?;
    Ok(serde_json::json!({"key": key, "value": value}))
}

/// A payload as a value when no schema says how: JSON if it parses, else its text.
pub fn decode_schemaless(payload: &[u8]) -> Value {
    serde_json::from_slice(payload).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

fn encode_primitive(kind: &str, value: &Value) -> Result<Vec<u8>, String> {
    let wrong = || format!("{value} is not a {kind}");
    let int = |bytes: usize| -> Result<Vec<u8>, String> {
        let n = value.as_i64().ok_or_else(wrong)?;
        let be = n.to_be_bytes();
        let fits = bytes == 8 || (n >= -(1 << (bytes * 8 - 1)) && n < (1 << (bytes * 8 - 1)));
        if fits { Ok(be[8 - bytes..].to_vec()) } else { Err(format!("{n} does not fit a {kind}")) }
    };
    match kind {
        "STRING" | "BYTES" => Ok(value.as_str().ok_or_else(wrong)?.as_bytes().to_vec()),
        "BOOLEAN" => Ok(vec![u8::from(value.as_bool().ok_or_else(wrong)?)]),
        "INT8" => int(1),
        "INT16" => int(2),
        "INT32" => int(4),
        "INT64" | "TIMESTAMP" | "DATE" | "TIME" => int(8),
        "FLOAT" => Ok((value.as_f64().ok_or_else(wrong)? as f32).to_be_bytes().to_vec()),
        "DOUBLE" => Ok(value.as_f64().ok_or_else(wrong)?.to_be_bytes().to_vec()),
        other => Err(format!("a {other} payload is given as `base64`, not as a value")),
    }
}

fn decode_primitive(kind: &str, payload: &[u8]) -> Result<Value, String> {
    let int = || payload.iter().fold(if payload[0] & 0x80 != 0 { -1i64 } else { 0 }, |n, b| (n << 8) | i64::from(*b));
    Ok(match kind {
        "STRING" | "BYTES" => Value::String(String::from_utf8_lossy(payload).into_owned()),
        "BOOLEAN" => Value::Bool(payload[0] == 1),
        "INT8" | "INT16" | "INT32" | "INT64" | "TIMESTAMP" | "DATE" | "TIME" => int().into(),
        "FLOAT" => f64::from(f32::from_be_bytes(payload.try_into().map_err(|_| "FLOAT is 4 bytes")?)).into(),
        "DOUBLE" => f64::from_be_bytes(payload.try_into().map_err(|_| "DOUBLE is 8 bytes")?).into(),
        other => return Err(format!("a {other} payload has no value here; compare its `base64`")),
    })
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    types: &'a AvroTypes,
}

impl Writer<'_> {
    fn long(&mut self, n: i64) {
        varint::write(self.out, ((n << 1) ^ (n >> 63)) as u64);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.long(b.len() as i64);
        self.out.extend_from_slice(b);
    }

    fn value(&mut self, value: &Value, ty: &Ty, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        let ty = resolve(ty, self.types)?;
        // The validator's verdict first: its message names the field at fault.
        if !matches!(ty, Ty::Record(_)) {
            json(value, ty, self.types, depth).map_err(|e| format!("does not match the schema: {e}"))?;
        }
        match (ty, value) {
            (Ty::Null, _) => {}
            (Ty::Boolean, Value::Bool(b)) => self.out.push(u8::from(*b)),
            (Ty::Int | Ty::Long, Value::Number(n)) => self.long(n.as_i64().ok_or("an integer out of range")?),
            (Ty::Float, Value::Number(n)) => {
                self.out.extend_from_slice(&(n.as_f64().unwrap_or_default() as f32).to_le_bytes())
            }
            (Ty::Double, Value::Number(n)) => self.out.extend_from_slice(&n.as_f64().unwrap_or_default().to_le_bytes()),
            (Ty::Bytes | Ty::String, Value::String(s)) => self.bytes(s.as_bytes()),
            (Ty::Fixed(size), Value::String(s)) => {
                if s.len() as u64 != *size {
                    return Err(format!("a fixed of {size} bytes, given {}", s.len()));
                }
                self.out.extend_from_slice(s.as_bytes());
            }
            (Ty::Enum(symbols), Value::String(s)) => {
                self.long(symbols.iter().position(|x| x == s).ok_or("not a symbol")? as i64)
            }
            (Ty::Array(item), Value::Array(items)) => {
                if !items.is_empty() {
                    self.long(items.len() as i64);
                    items.iter().try_for_each(|v| self.value(v, item, depth + 1))?;
                }
                self.long(0);
            }
            (Ty::Map(item), Value::Object(map)) => {
                if !map.is_empty() {
                    self.long(map.len() as i64);
                    for (k, v) in map {
                        self.bytes(k.as_bytes());
                        self.value(v, item, depth + 1)?;
                    }
                }
                self.long(0);
            }
            (Ty::Union(branches), v) => {
                let i = branches
                    .iter()
                    .position(|b| json(v, b, self.types, depth + 1).is_ok())
                    .ok_or("matches no branch of the union")?;
                self.long(i as i64);
                self.value(v, &branches[i], depth + 1)?;
            }
            (Ty::Record(fields), Value::Object(map)) => {
                for f in fields {
                    let v = map.get(&f.name).unwrap_or(&Value::Null);
                    self.value(v, &f.ty, depth + 1).map_err(|e| format!("field `{}`: {e}", f.name))?;
                }
            }
            (Ty::Record(_), other) => return Err(format!("{other} where the schema wants a record")),
            _ => return Err(format!("{value} does not match the schema")),
        }
        Ok(())
    }
}

/// Decoding: the validator's reader, giving values.
impl AvroReader<'_> {
    fn text(&mut self) -> Result<String, String> {
        let n = usize::try_from(self.long()?).map_err(|_| "a negative length")?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn read_value(&mut self, ty: &Ty, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        Ok(match resolve(ty, self.types)? {
            Ty::Null => Value::Null,
            Ty::Boolean => Value::Bool(self.take(1)?[0] == 1),
            Ty::Int | Ty::Long => self.long()?.into(),
            Ty::Float => f64::from(f32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"))).into(),
            Ty::Double => f64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")).into(),
            Ty::Bytes | Ty::String => self.text()?.into(),
            Ty::Fixed(size) => String::from_utf8_lossy(self.take(*size as usize)?).into_owned().into(),
            Ty::Enum(symbols) => {
                let i = usize::try_from(self.long()?).map_err(|_| "enum index")?;
                symbols.get(i).cloned().ok_or("enum index")?.into()
            }
            Ty::Array(item) => Value::Array(self.read_blocks(depth, |r, d| r.read_value(item, d))?),
            Ty::Map(item) => {
                let pairs =
                    self.read_blocks(depth, |r, d| Ok(Value::Array(vec![r.text()?.into(), r.read_value(item, d)?])))?;
                Value::Object(
                    pairs
                        .into_iter()
                        .filter_map(|p| match p {
                            Value::Array(mut kv) => {
                                let v = kv.pop()?;
                                Some((kv.pop()?.as_str()?.to_string(), v))
                            }
                            _ => None,
                        })
                        .collect(),
                )
            }
            Ty::Union(branches) => {
                let i = usize::try_from(self.long()?).map_err(|_| "union branch")?;
                self.read_value(branches.get(i).ok_or("union branch")?, depth + 1)?
            }
            Ty::Record(fields) => {
                let mut map = serde_json::Map::new();
                for f in fields {
                    map.insert(f.name.clone(), self.read_value(&f.ty, depth + 1)?);
                }
                Value::Object(map)
            }
            Ty::Ref(name) => return Err(format!("`{name}` refers to another name")),
        })
    }

    fn read_blocks(
        &mut self,
        depth: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<Value, String>,
    ) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        loop {
            let count = self.block_count()?;
            if count == 0 {
                return Ok(out);
            }
            for _ in 0..count {
                out.push(item(self, depth + 1)?);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(text: &str) -> PayloadSchema {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn avro_values_round_trip_through_their_binary_encoding() {
        let s = schema(
            r#"{"format":"avro","root":{"record":[
            {"name":"id","type":"long"},{"name":"name","type":"string"},
            {"name":"tags","type":{"array":"string"}},{"name":"opt","type":{"union":["null","int"]}},
            {"name":"attrs","type":{"map":"double"}},{"name":"kind","type":{"enum":["A","B"]}}]}}"#,
        );
        let value = json!({"id": 3, "name": "ab", "tags": ["x"], "opt": -1, "attrs": {"w": 1.5}, "kind": "B"});
        let bytes = s.encode(&value).unwrap();
        assert_eq!(&bytes[..10], &[6, 4, b'a', b'b', 2, 2, b'x', 0, 2, 1], "the validator's own example");
        assert_eq!(s.check(&bytes), Ok(()));
        assert_eq!(s.decode(&bytes).unwrap(), value);
        // A missing nullable field is null; a wrong type names the field.
        let sparse = json!({"id": 1, "name": "", "tags": [], "attrs": {}, "kind": "A"});
        assert_eq!(s.decode(&s.encode(&sparse).unwrap()).unwrap()["opt"], Value::Null);
        let err = s.encode(&json!({"id": "x"})).unwrap_err();
        assert!(err.contains("field `id`"), "{err}");
    }

    #[test]
    fn primitives_and_json_encode_as_pulsar_writes_them() {
        let int32 = schema(r#"{"format":"primitive","kind":"INT32"}"#);
        assert_eq!(int32.encode(&json!(-2)).unwrap(), [0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(int32.decode(&[0xff, 0xff, 0xff, 0xfe]).unwrap(), json!(-2));
        assert!(int32.encode(&json!(1u64 << 40)).is_err());
        let text = schema(r#"{"format":"primitive","kind":"STRING"}"#);
        assert_eq!(text.decode(&text.encode(&json!("hé")).unwrap()).unwrap(), json!("hé"));
        let j = schema(r#"{"format":"json","root":{"record":[{"name":"n","type":"long"}]}}"#);
        assert_eq!(j.decode(&j.encode(&json!({"n": 1})).unwrap()).unwrap(), json!({"n": 1}));
        assert!(j.decode(br#"{"n":"x"}"#).is_err(), "decoding checks first");
        assert_eq!(decode_schemaless(b"plain"), json!("plain"));
    }

    #[test]
    fn a_reader_resolves_enum_symbols_unions_and_missing_fields_as_avro_does() {
        let reader = schema(
            r#"{"format":"avro","root":{"ref":"R"},"named":{
            "R":{"record":[{"name":"kind","type":{"ref":"K"}},{"name":"n","type":{"union":["null","long"]}},
                           {"name":"tags","type":{"array":"string"},"optional":true,"default":[]}]},
            "K":{"enum":["A","OTHER"]}},"enumDefaults":{"K":"OTHER"}}"#,
        );
        let written = json!({"kind": "B", "n": 3, "dropped": true});
        assert_eq!(reader.resolve(written).unwrap(), json!({"kind": "OTHER", "n": 3, "tags": []}));
        let err = reader.resolve(json!({"n": 1})).unwrap_err();
        assert!(err.contains("field `kind` is not written and has no default"), "{err}");
    }

    #[test]
    fn key_value_inline_carries_both_lengths_and_a_null_part_as_minus_one() {
        let kv = schema(
            r#"{"format":"keyValue","key":{"format":"primitive","kind":"STRING"},
            "value":{"format":"primitive","kind":"INT32"}}"#,
        );
        let bytes = kv.encode(&json!({"key": "ab", "value": 1})).unwrap();
        assert_eq!(bytes, [0, 0, 0, 2, b'a', b'b', 0, 0, 0, 4, 0, 0, 0, 1]);
        assert_eq!(kv.decode(&bytes).unwrap(), json!({"key": "ab", "value": 1}));
        let tombstone = kv.encode(&json!({"key": "ab", "value": null})).unwrap();
        assert_eq!(&tombstone[6..], &[0xff; 4], "Pulsar writes -1 for a null part");
        assert_eq!(kv.decode(&tombstone).unwrap(), json!({"key": "ab", "value": null}));
        assert!(kv.check(&bytes[..9]).is_err(), "cut short");
        assert!(kv.encode(&json!({"key": "ab", "other": 1})).is_err(), "a KEY_VALUE value is {{key, value}}");
    }
}
