//! Runtime schema enforcement: the payload checks a Pulsar broker's schema
//! registry would otherwise stand for.
//!
//! Why in the runner: pulsar-lite (and any broker with schema validation off)
//! accepts every payload on every topic, so a producer that does not write
//! what the mesh declares would reach the user function as garbage. When the
//! mesh declares an input's schema, `fmc build` puts it in the runner's
//! configuration; a payload that does not conform is sent to the dead-letter
//! topic at once (retrying cannot fix it) and never reaches the function.
//!
//! What is checked, per Pulsar's encodings:
//! - `avro`: the payload must decode as Avro binary of the schema, to the last byte;
//! - `json`: a JSON document matching the Avro schema Pulsar's JSON schema carries
//!   (missing fields only where the schema gives a default or allows null;
//!   unknown fields are accepted, as Pulsar's JSON reader accepts them);
//! - `primitive`: the fixed sizes of INT8…LOCAL_DATE_TIME, UTF-8 for STRING,
//!   0/1 for BOOLEAN;
//! - `protobuf`: a well-formed protobuf wire encoding (tags, varints, lengths);
//!   field types are not checked against the message;
//! - `keyValue`: Pulsar's KEY_VALUE: INLINE is the key's length (4 bytes, big
//!   endian), the key, the value's length and the value, each part checked
//!   with its own schema; SEPARATED carries the key in the message key, so the
//!   payload is the value alone.
//!
//! Types come as a tree whose named types (records, enums, fixed) sit in a
//! table and are referenced by name, so recursive schemas need no special case.

use crate::varint;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", tag = "format", deny_unknown_fields)]
pub enum PayloadSchema {
    Avro(AvroTypes),
    Json(AvroTypes),
    Primitive { kind: String },
    Protobuf {},
    KeyValue(KeyValueTypes),
}

/// A KEY_VALUE schema's two parts and how they travel.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyValueTypes {
    pub key: Box<PayloadSchema>,
    pub value: Box<PayloadSchema>,
    /// SEPARATED: the key is the message key (base64 of its bytes), the
    /// payload the value; otherwise both are in the payload (INLINE).
    #[serde(default)]
    pub separated: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AvroTypes {
    pub root: Ty,
    #[serde(default)]
    pub named: BTreeMap<String, Ty>,
    /// The default symbol of each named enum that has one: what a reader
    /// reads for a symbol the writer has and it does not.
    #[serde(default)]
    pub enum_defaults: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Ty {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<Ty>),
    Map(Box<Ty>),
    Union(Vec<Ty>),
    Record(Vec<Field>),
    Enum(Vec<String>),
    Fixed(u64),
    /// A named type from the table.
    Ref(String),
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Ty,
    /// The schema gives a default: the field may be missing from JSON.
    #[serde(default)]
    pub optional: bool,
    /// The default itself (Avro's JSON form): what a reader resolving another
    /// writer's value reads when the writer has no such field.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// Other names the writer may have given the field.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl PayloadSchema {
    /// Ok, or why the payload does not conform.
    pub fn check(&self, payload: &[u8]) -> Result<(), String> {
        match self {
            PayloadSchema::Avro(types) => {
                let mut reader = AvroReader::new(payload, types);
                reader.value(&types.root, 0)?;
                match payload.len() - reader.at {
                    0 => Ok(()),
                    n => Err(format!("{n} bytes left over after the Avro value")),
                }
            }
            PayloadSchema::Json(types) => {
                let value: serde_json::Value =
                    serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
                json(&value, &types.root, types, 0).map_err(|e| format!("JSON does not match the schema: {e}"))
            }
            PayloadSchema::Primitive { kind } => primitive(kind, payload),
            PayloadSchema::Protobuf {} => protobuf_wire(payload),
            PayloadSchema::KeyValue(kv) if kv.separated => kv.value.check(payload),
            PayloadSchema::KeyValue(kv) => {
                let (key, value) = inline_parts(payload)?;
                key.map_or(Ok(()), |k| kv.key.check(k)).map_err(|e| format!("the key: {e}"))?;
                value.map_or(Ok(()), |v| kv.value.check(v)).map_err(|e| format!("the value: {e}"))
            }
        }
    }
}

/// The key and value bytes of an INLINE KEY_VALUE payload (none for a null part).
pub(crate) type Parts<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

pub(crate) fn inline_parts(payload: &[u8]) -> Result<Parts<'_>, String> {
    fn part(bytes: &[u8], at: usize) -> Result<(Option<&[u8]>, usize), String> {
        let short = || "KEY_VALUE: the payload ends inside a length or a part".to_string();
        let len: [u8; 4] = bytes.get(at..at + 4).ok_or_else(short)?.try_into().map_err(|_| short())?;
        // Pulsar writes -1 for a null part.
        let Ok(n) = usize::try_from(i32::from_be_bytes(len)) else { return Ok((None, at + 4)) };
        let end = (at + 4).checked_add(n).filter(|&e| e <= bytes.len()).ok_or_else(short)?;
        Ok((Some(&bytes[at + 4..end]), end))
    }
    let (key, next) = part(payload, 0)?;
    let (value, end) = part(payload, next)?;
    if end != payload.len() {
        return Err(format!("KEY_VALUE: {} bytes left over after the value", payload.len() - end));
    }
    Ok((key, value))
}

fn primitive(kind: &str, payload: &[u8]) -> Result<(), String> {
    let size = match kind {
        "STRING" => return std::str::from_utf8(payload).map(|_| ()).map_err(|e| format!("not UTF-8: {e}")),
        "BYTES" => return Ok(()),
        "BOOLEAN" => {
            return if matches!(payload, [0] | [1]) { Ok(()) } else { Err("BOOLEAN is one byte, 0 or 1".into()) };
        }
        "INT8" => 1,
        "INT16" => 2,
        "INT32" | "FLOAT" => 4,
        "INT64" | "DOUBLE" | "DATE" | "TIME" | "TIMESTAMP" | "LOCAL_DATE" | "LOCAL_TIME" => 8,
        "INSTANT" => 12,
        "LOCAL_DATE_TIME" => 16,
        other => return Err(format!("unknown primitive schema {other}")),
    };
    if payload.len() == size {
        Ok(())
    } else {
        Err(format!("{kind} is {size} bytes, the payload has {}", payload.len()))
    }
}

pub(crate) fn resolve<'a>(ty: &'a Ty, types: &'a AvroTypes) -> Result<&'a Ty, String> {
    match ty {
        Ty::Ref(name) => types.named.get(name).ok_or_else(|| format!("the schema names no type `{name}`")),
        t => Ok(t),
    }
}

pub(crate) struct AvroReader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
    pub(crate) types: &'a AvroTypes,
    /// Array and map items still allowed (see [`AvroReader::block_count`]).
    items_left: u64,
}

/// Items of zero bytes (nulls, empty records) an array or map may hold in
/// all, beyond one item per byte of the payload.
const ZERO_SIZE_ITEMS: u64 = 1 << 16;

impl<'a> AvroReader<'a> {
    pub(crate) fn new(bytes: &'a [u8], types: &'a AvroTypes) -> AvroReader<'a> {
        AvroReader { bytes, at: 0, types, items_left: bytes.len() as u64 + ZERO_SIZE_ITEMS }
    }

    /// The next block's item count (0 ends the array or map; a negative count
    /// is followed by the block's byte size). Every item but a zero-size one
    /// takes a byte, so a count beyond the payload's bytes (and a small
    /// allowance) is refused before any item is read: a few bytes claiming
    /// 2^60 nulls would otherwise loop, and grow a decoded array, for ever.
    pub(crate) fn block_count(&mut self) -> Result<u64, String> {
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        let count = count.unsigned_abs();
        self.items_left = self.items_left.checked_sub(count).ok_or_else(|| {
            format!("an array or map block of {count} items in a payload of {} bytes", self.bytes.len())
        })?;
        Ok(count)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("the payload ends too early")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    /// A zig-zag varint (Avro `int` and `long`).
    pub(crate) fn long(&mut self) -> Result<i64, String> {
        let (value, next) =
            varint::read(self.bytes, self.at).ok_or("the payload ends too early (or a varint is over 10 bytes)")?;
        self.at = next;
        Ok((value >> 1) as i64 ^ -((value & 1) as i64))
    }

    fn length(&mut self) -> Result<usize, String> {
        usize::try_from(self.long()?).map_err(|_| "a negative length".to_string())
    }

    fn value(&mut self, ty: &Ty, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        match resolve(ty, self.types)? {
            Ty::Null => Ok(()),
            Ty::Boolean => match self.take(1)?[0] {
                0 | 1 => Ok(()),
                b => Err(format!("boolean byte {b}")),
            },
            Ty::Int => i32::try_from(self.long()?).map(|_| ()).map_err(|_| "int out of range".into()),
            Ty::Long => self.long().map(|_| ()),
            Ty::Float => self.take(4).map(|_| ()),
            Ty::Double => self.take(8).map(|_| ()),
            Ty::Bytes => {
                let n = self.length()?;
                self.take(n).map(|_| ())
            }
            Ty::String => {
                let n = self.length()?;
                std::str::from_utf8(self.take(n)?).map(|_| ()).map_err(|e| format!("string not UTF-8: {e}"))
            }
            Ty::Array(item) => self.blocks(depth, |r, d| r.value(item, d)),
            Ty::Map(value) => self.blocks(depth, |r, d| {
                r.value(&Ty::String, d)?;
                r.value(value, d)
            }),
            Ty::Union(branches) => {
                let i = self.long()?;
                let branch =
                    usize::try_from(i).ok().and_then(|i| branches.get(i)).ok_or(format!("union branch {i}"))?;
                self.value(branch, depth + 1)
            }
            Ty::Record(fields) => fields.iter().try_for_each(|f| self.value(&f.ty, depth + 1)),
            Ty::Enum(symbols) => {
                let i = self.long()?;
                if usize::try_from(i).is_ok_and(|i| i < symbols.len()) {
                    Ok(())
                } else {
                    Err(format!("enum index {i}"))
                }
            }
            Ty::Fixed(size) => self.take(*size as usize).map(|_| ()),
            Ty::Ref(name) => Err(format!("`{name}` refers to another name")),
        }
    }

    /// Array and map blocks: a count (negative: followed by a byte size), zero ends.
    fn blocks(
        &mut self,
        depth: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), String>,
    ) -> Result<(), String> {
        loop {
            let count = self.block_count()?;
            if count == 0 {
                return Ok(());
            }
            for _ in 0..count {
                item(self, depth + 1)?;
            }
        }
    }
}

pub(crate) fn json(value: &serde_json::Value, ty: &Ty, types: &AvroTypes, depth: usize) -> Result<(), String> {
    use serde_json::Value as V;
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    let ty = resolve(ty, types)?;
    let ok = match (ty, value) {
        (Ty::Null, V::Null) | (Ty::Boolean, V::Bool(_)) => true,
        (Ty::Int, V::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        (Ty::Long, V::Number(n)) => n.is_i64() || n.is_u64(),
        (Ty::Float | Ty::Double, V::Number(_)) => true,
        (Ty::Bytes | Ty::String | Ty::Fixed(_), V::String(_)) => true,
        (Ty::Enum(symbols), V::String(s)) => {
            return if symbols.contains(s) { Ok(()) } else { Err(format!("`{s}` is not a symbol of the enum")) };
        }
        (Ty::Array(item), V::Array(items)) => return items.iter().try_for_each(|v| json(v, item, types, depth + 1)),
        (Ty::Map(item), V::Object(map)) => return map.values().try_for_each(|v| json(v, item, types, depth + 1)),
        (Ty::Union(branches), v) => {
            return if branches.iter().any(|b| json(v, b, types, depth + 1).is_ok()) {
                Ok(())
            } else {
                Err(format!("{} matches no branch of the union", kind_of(v)))
            };
        }
        (Ty::Record(fields), V::Object(map)) => return record(map, fields, types, depth),
        _ => false,
    };
    if ok { Ok(()) } else { Err(format!("{} where the schema wants {}", kind_of(value), name_of(ty))) }
}

fn record(
    map: &serde_json::Map<String, serde_json::Value>,
    fields: &[Field],
    types: &AvroTypes,
    depth: usize,
) -> Result<(), String> {
    for f in fields {
        match map.get(&f.name) {
            Some(v) => json(v, &f.ty, types, depth + 1).map_err(|e| format!("field `{}`: {e}", f.name))?,
            None if f.optional || json(&serde_json::Value::Null, &f.ty, types, depth + 1).is_ok() => {}
            None => return Err(format!("field `{}` is missing and has no default", f.name)),
        }
    }
    Ok(())
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn name_of(ty: &Ty) -> &'static str {
    match ty {
        Ty::Null => "null",
        Ty::Boolean => "a boolean",
        Ty::Int => "an int",
        Ty::Long => "a long",
        Ty::Float | Ty::Double => "a number",
        Ty::Bytes | Ty::String | Ty::Fixed(_) | Ty::Enum(_) => "a string",
        Ty::Array(_) => "an array",
        Ty::Map(_) | Ty::Record(_) => "an object",
        Ty::Union(_) | Ty::Ref(_) => "a union",
    }
}

/// A well-formed protobuf message: every field a valid tag with a complete value.
fn protobuf_wire(bytes: &[u8]) -> Result<(), String> {
    let mut at = 0;
    let varint = |at: &mut usize| -> Result<u64, String> {
        let (value, next) = varint::read(bytes, *at).ok_or("protobuf: a varint is cut off or over 10 bytes")?;
        *at = next;
        Ok(value)
    };
    let mut groups = 0usize;
    while at < bytes.len() {
        let key = varint(&mut at)?;
        if key >> 3 == 0 {
            return Err("protobuf: field number 0".into());
        }
        let skip = match key & 7 {
            0 => {
                varint(&mut at)?;
                0
            }
            1 => 8,
            2 => usize::try_from(varint(&mut at)?).map_err(|_| "protobuf: length too large")?,
            3 => {
                groups += 1;
                0
            }
            4 => {
                groups = groups.checked_sub(1).ok_or("protobuf: end of a group that never started")?;
                0
            }
            5 => 4,
            t => return Err(format!("protobuf: wire type {t}")),
        };
        at = at.checked_add(skip).filter(|&e| e <= bytes.len()).ok_or("protobuf: a field runs past the payload")?;
    }
    if groups != 0 { Err("protobuf: an unterminated group".into()) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(json: &str) -> PayloadSchema {
        serde_json::from_str(json).unwrap()
    }

    const ORDER: &str = r#"{"format":"json","root":{"ref":"Order"},"named":{"Order":{"record":[
        {"name":"id","type":"long"},
        {"name":"note","type":{"union":["null","string"]}},
        {"name":"qty","type":"int","optional":true},
        {"name":"status","type":{"enum":["NEW","PAID"]}},
        {"name":"lines","type":{"array":{"ref":"Order"}},"optional":true}]}}}"#;

    #[test]
    fn json_payloads_are_checked_against_the_avro_record() {
        let s = schema(ORDER);
        assert_eq!(s.check(br#"{"id":1,"status":"NEW"}"#), Ok(()));
        assert_eq!(
            s.check(br#"{"id":1,"note":"x","qty":2,"status":"PAID","extra":true,"lines":[{"id":2,"status":"NEW"}]}"#),
            Ok(())
        );
        assert!(s.check(br#"{"status":"NEW"}"#).unwrap_err().contains("field `id` is missing"));
        assert!(
            s.check(br#"{"id":"1","status":"NEW"}"#).unwrap_err().contains("a string where the schema wants a long")
        );
        assert!(s.check(br#"{"id":1,"status":"LOST"}"#).unwrap_err().contains("not a symbol"));
        assert!(s.check(br#"{"id":1,"qty":3000000000,"status":"NEW"}"#).is_err());
        assert!(s.check(b"not json").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn avro_binary_must_decode_to_the_last_byte() {
        let s = schema(
            r#"{"format":"avro","root":{"record":[
            {"name":"id","type":"long"},{"name":"name","type":"string"},
            {"name":"tags","type":{"array":"string"}},{"name":"opt","type":{"union":["null","int"]}}]}}"#,
        );
        // id 3 (zig-zag 6), "ab", tags ["x"], opt = branch 1, int -1 (zig-zag 1).
        let good = [6, 4, b'a', b'b', 2, 2, b'x', 0, 2, 1];
        assert_eq!(s.check(&good), Ok(()));
        assert!(s.check(&good[..5]).unwrap_err().contains("ends too early"));
        assert!(s.check(&[good.as_slice(), &[0]].concat()).unwrap_err().contains("left over"));
        assert!(s.check(&[6, 4, b'a', b'b', 2, 2, b'x', 0, 4]).unwrap_err().contains("union branch 2"));
    }

    #[test]
    fn primitives_have_their_pulsar_sizes() {
        let int32 = schema(r#"{"format":"primitive","kind":"INT32"}"#);
        assert_eq!(int32.check(&[0, 0, 0, 1]), Ok(()));
        assert!(int32.check(&[0, 1]).is_err());
        assert!(schema(r#"{"format":"primitive","kind":"STRING"}"#).check(&[0xff]).is_err());
        assert!(schema(r#"{"format":"primitive","kind":"BOOLEAN"}"#).check(&[2]).is_err());
    }

    #[test]
    fn protobuf_payloads_must_be_well_formed_wire_encoding() {
        let s = schema(r#"{"format":"protobuf"}"#);
        // field 1 varint 150, field 2 length-delimited "hi".
        assert_eq!(s.check(&[0x08, 0x96, 0x01, 0x12, 2, b'h', b'i']), Ok(()));
        assert!(s.check(&[0x12, 5, b'h']).is_err());
        assert!(s.check(b"{\"json\": true}").is_err());
    }

    #[test]
    fn a_deeply_nested_payload_is_refused_not_a_crash() {
        let s =
            schema(r#"{"format":"json","root":{"ref":"N"},"named":{"N":{"union":["null",{"array":{"ref":"N"}}]}}}"#);
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(s.check(deep.as_bytes()).is_err());
        assert_eq!(s.check(b"[[null],[]]"), Ok(()));
    }

    #[test]
    fn a_block_claiming_more_items_than_the_payload_can_hold_is_refused_at_once() {
        let nulls = schema(r#"{"format":"avro","root":{"array":"null"}}"#);
        // 2^40 nulls claimed in seven bytes: refused before a single item.
        let zigzag = |n: u64| {
            let mut out = Vec::new();
            varint::write(&mut out, n << 1);
            out.push(0);
            out
        };
        let claim = zigzag(1 << 40);
        assert!(nulls.check(&claim).unwrap_err().contains("block of 1099511627776 items"));
        // A real array of nulls still reads.
        let hundred = zigzag(100);
        assert_eq!(nulls.check(&hundred), Ok(()));
    }
}
