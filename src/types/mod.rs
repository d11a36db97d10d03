//! Pulsar schemas and the rules that decide who can read what.
//!
//! The type checker (`check::types`) asks two questions of every topic: can a
//! consumer's read schema read a producer's write schema ([`reads`]), and does
//! a producer's schema evolve the topic's schema within its compatibility
//! strategy ([`Compatibility::accepts`]). The rules, case by case, are in
//! docs/schema-rules.md; every case there is a fixture under
//! `fixtures/schema-rules/`.
//!
//! What is known about a schema varies: the native DSL declares full
//! definitions ([`SchemaInfo::Known`]); operator resources usually give only a
//! schema type or a Java class ([`SchemaInfo::Kind`]) or nothing
//! ([`SchemaInfo::Unknown`]). The checker never guesses: when the facts are
//! missing the verdict is [`Verdict::Unchecked`].

pub mod avro;
pub mod descriptor;
pub mod proto;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Pulsar's schema types (`SchemaType`), as written in meshes and operator specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    String,
    Bytes,
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    Date,
    Time,
    Timestamp,
    Instant,
    LocalDate,
    LocalTime,
    LocalDateTime,
    Avro,
    Json,
    Protobuf,
    ProtobufNative,
    KeyValue,
    AutoConsume,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "STRING",
            Kind::Bytes => "BYTES",
            Kind::Boolean => "BOOLEAN",
            Kind::Int8 => "INT8",
            Kind::Int16 => "INT16",
            Kind::Int32 => "INT32",
            Kind::Int64 => "INT64",
            Kind::Float => "FLOAT",
            Kind::Double => "DOUBLE",
            Kind::Date => "DATE",
            Kind::Time => "TIME",
            Kind::Timestamp => "TIMESTAMP",
            Kind::Instant => "INSTANT",
            Kind::LocalDate => "LOCAL_DATE",
            Kind::LocalTime => "LOCAL_TIME",
            Kind::LocalDateTime => "LOCAL_DATE_TIME",
            Kind::Avro => "AVRO",
            Kind::Json => "JSON",
            Kind::Protobuf => "PROTOBUF",
            Kind::ProtobufNative => "PROTOBUF_NATIVE",
            Kind::KeyValue => "KEY_VALUE",
            Kind::AutoConsume => "AUTO_CONSUME",
        }
    }

    /// Parses a schema type as operator specs write it (`avro`, `AVRO`, `Avro`).
    pub fn parse(s: &str) -> Option<Kind> {
        let up = s.trim().to_ascii_uppercase();
        ALL_KINDS.iter().copied().find(|k| k.name() == up || (up == "AUTO" && *k == Kind::AutoConsume))
    }

    /// A primitive carries no definition: its name says everything.
    pub fn is_primitive(self) -> bool {
        !matches!(
            self,
            Kind::Avro | Kind::Json | Kind::Protobuf | Kind::ProtobufNative | Kind::KeyValue | Kind::AutoConsume
        )
    }

    /// Readers that accept any payload: raw bytes, or whatever schema the topic has.
    fn reads_anything(self) -> bool {
        matches!(self, Kind::Bytes | Kind::AutoConsume)
    }
}

const ALL_KINDS: [Kind; 22] = [
    Kind::String,
    Kind::Bytes,
    Kind::Boolean,
    Kind::Int8,
    Kind::Int16,
    Kind::Int32,
    Kind::Int64,
    Kind::Float,
    Kind::Double,
    Kind::Date,
    Kind::Time,
    Kind::Timestamp,
    Kind::Instant,
    Kind::LocalDate,
    Kind::LocalTime,
    Kind::LocalDateTime,
    Kind::Avro,
    Kind::Json,
    Kind::Protobuf,
    Kind::ProtobufNative,
    Kind::KeyValue,
    Kind::AutoConsume,
];

/// KEY_VALUE encodings: key and value in the payload, or the key in the message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyValueEncoding {
    Inline,
    Separated,
}

impl KeyValueEncoding {
    pub fn name(self) -> &'static str {
        match self {
            KeyValueEncoding::Inline => "INLINE",
            KeyValueEncoding::Separated => "SEPARATED",
        }
    }
}

/// A fully defined schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    Primitive(Kind),
    Avro(avro::AvroSchema),
    Json(avro::AvroSchema),
    Protobuf { file: Arc<proto::ProtoFile>, message: String, native: bool },
    KeyValue { key: Box<Schema>, value: Box<Schema>, encoding: KeyValueEncoding },
    AutoConsume,
}

impl Schema {
    pub fn kind(&self) -> Kind {
        match self {
            Schema::Primitive(k) => *k,
            Schema::Avro(_) => Kind::Avro,
            Schema::Json(_) => Kind::Json,
            Schema::Protobuf { native: false, .. } => Kind::Protobuf,
            Schema::Protobuf { native: true, .. } => Kind::ProtobufNative,
            Schema::KeyValue { .. } => Kind::KeyValue,
            Schema::AutoConsume => Kind::AutoConsume,
        }
    }
}

/// What the mesh says about the schema at one end of a topic.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaInfo {
    /// A full definition; `name` is what the user calls it (`OrderV2`).
    Known { name: String, schema: Arc<Schema> },
    /// Only the schema type is known; `what` says where it came from.
    Kind { kind: Kind, what: String },
    /// Nothing is known; `why` says so in words.
    Unknown { why: String },
}

impl SchemaInfo {
    /// How diagnostics and graphs name it: `OrderV2`, `AVRO (class com.x.Order)`, `?`.
    pub fn label(&self) -> String {
        match self {
            SchemaInfo::Known { name, .. } => name.clone(),
            SchemaInfo::Kind { what, .. } => what.clone(),
            SchemaInfo::Unknown { .. } => "unknown schema".into(),
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        match self {
            SchemaInfo::Known { schema, .. } => Some(schema.kind()),
            SchemaInfo::Kind { kind, .. } => Some(*kind),
            SchemaInfo::Unknown { .. } => None,
        }
    }
}

/// The outcome of one reader/writer question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Compatible,
    Incompatible(String),
    Unchecked(String),
}

/// Can a consumer reading with `reader` read what a producer writes with `writer`?
pub fn reads(reader: &SchemaInfo, writer: &SchemaInfo) -> Verdict {
    match (reader, writer) {
        (SchemaInfo::Known { schema: r, .. }, SchemaInfo::Known { schema: w, .. }) => match can_read(r, w) {
            Ok(()) => Verdict::Compatible,
            Err(e) => Verdict::Incompatible(e),
        },
        (r, w) => match (r.kind(), w.kind()) {
            (Some(rk), _) if rk.reads_anything() => Verdict::Compatible,
            (Some(rk), Some(wk)) if rk != wk => Verdict::Incompatible(kind_mismatch(rk, wk)),
            (Some(rk), Some(_)) if rk.is_primitive() => Verdict::Compatible,
            (Some(_), Some(_)) => Verdict::Unchecked("only the schema type is known, not the definitions".into()),
            (None, _) => Verdict::Unchecked(unknown_why(r)),
            (_, None) => Verdict::Unchecked(unknown_why(w)),
        },
    }
}

fn unknown_why(info: &SchemaInfo) -> String {
    match info {
        SchemaInfo::Unknown { why } => why.clone(),
        _ => "schema unknown".into(),
    }
}

fn kind_mismatch(reader: Kind, writer: Kind) -> String {
    format!("{} is written but {} is read", writer.name(), reader.name())
}

/// Reader/writer resolution between two full definitions.
pub fn can_read(reader: &Schema, writer: &Schema) -> Result<(), String> {
    use Schema::*;
    match (reader, writer) {
        (r, _) if r.kind().reads_anything() => Ok(()),
        (Primitive(a), Primitive(b)) if a == b => Ok(()),
        (Avro(r), Avro(w)) | (Json(r), Json(w)) => avro::can_read(r, w),
        (Protobuf { file: rf, message: rm, native: rn }, Protobuf { file: wf, message: wm, native: wn })
            if rn == wn =>
        {
            if *rn && rm != wm {
                return Err(format!("PROTOBUF_NATIVE message `{wm}` is read as `{rm}`"));
            }
            proto::can_read(rf, rm, wf, wm)
        }
        (KeyValue { key: rk, value: rv, encoding: re }, KeyValue { key: wk, value: wv, encoding: we }) => {
            if re != we {
                return Err(format!("KEY_VALUE encoding {} is read as {}", we.name(), re.name()));
            }
            can_read(rk, wk).map_err(|e| format!("key: {e}"))?;
            can_read(rv, wv).map_err(|e| format!("value: {e}"))
        }
        (r, w) => Err(kind_mismatch(r.kind(), w.kind())),
    }
}

/// Pulsar's schema compatibility strategies (`SchemaCompatibilityStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    AlwaysCompatible,
    AlwaysIncompatible,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    /// Pulsar's default.
    #[default]
    Full,
    FullTransitive,
}

impl Compatibility {
    pub fn name(self) -> &'static str {
        match self {
            Compatibility::AlwaysCompatible => "ALWAYS_COMPATIBLE",
            Compatibility::AlwaysIncompatible => "ALWAYS_INCOMPATIBLE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Compatibility::Forward => "FORWARD",
            Compatibility::ForwardTransitive => "FORWARD_TRANSITIVE",
            Compatibility::Full => "FULL",
            Compatibility::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    fn transitive(self) -> bool {
        matches!(
            self,
            Compatibility::BackwardTransitive | Compatibility::ForwardTransitive | Compatibility::FullTransitive
        )
    }

    /// Whether registering `new` is allowed after `versions` (oldest first, the
    /// topic's current schema last). `Err` names the version and the reason.
    pub fn accepts(self, new: &Schema, versions: &[(&str, &Schema)]) -> Result<(), String> {
        let Some((latest_name, latest)) = versions.last() else { return Ok(()) };
        if new == *latest || self == Compatibility::AlwaysCompatible {
            return Ok(());
        }
        if self == Compatibility::AlwaysIncompatible {
            return Err(format!("ALWAYS_INCOMPATIBLE allows no change from `{latest_name}`"));
        }
        if new.kind() != latest.kind() {
            return Err(format!("the schema type changes from {} to {}", latest.kind().name(), new.kind().name()));
        }
        let against: &[(&str, &Schema)] = if self.transitive() { versions } else { &versions[versions.len() - 1..] };
        let backward = !matches!(self, Compatibility::Forward | Compatibility::ForwardTransitive);
        let forward = !matches!(self, Compatibility::Backward | Compatibility::BackwardTransitive);
        for (name, old) in against {
            if backward {
                can_read(new, old).map_err(|e| format!("not backward compatible with `{name}`: {e}"))?;
            }
            if forward {
                can_read(old, new).map_err(|e| format!("not forward compatible with `{name}`: {e}"))?;
            }
        }
        Ok(())
    }
}

/// What a Java class name tells about the schema (`typeClassName`).
pub fn from_java_class(class: &str) -> SchemaInfo {
    let kind = match class {
        "java.lang.String" => Kind::String,
        "[B" | "byte[]" => Kind::Bytes,
        "java.lang.Boolean" => Kind::Boolean,
        "java.lang.Byte" => Kind::Int8,
        "java.lang.Short" => Kind::Int16,
        "java.lang.Integer" => Kind::Int32,
        "java.lang.Long" => Kind::Int64,
        "java.lang.Float" => Kind::Float,
        "java.lang.Double" => Kind::Double,
        "java.util.Date" => Kind::Date,
        "java.sql.Time" => Kind::Time,
        "java.sql.Timestamp" => Kind::Timestamp,
        "java.time.Instant" => Kind::Instant,
        "java.time.LocalDate" => Kind::LocalDate,
        "java.time.LocalTime" => Kind::LocalTime,
        "java.time.LocalDateTime" => Kind::LocalDateTime,
        "org.apache.pulsar.client.api.schema.GenericRecord" | "org.apache.pulsar.client.api.schema.GenericObject" => {
            Kind::AutoConsume
        }
        _ => return SchemaInfo::Unknown { why: format!("class `{class}` does not say which schema it uses") },
    };
    SchemaInfo::Kind { kind, what: format!("{} (class {class})", kind.name()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prim(k: Kind) -> Schema {
        Schema::Primitive(k)
    }

    #[test]
    fn primitives_need_the_same_type_except_bytes_readers() {
        assert_eq!(can_read(&prim(Kind::Int32), &prim(Kind::Int32)), Ok(()));
        assert!(can_read(&prim(Kind::Int64), &prim(Kind::Int32)).is_err());
        assert_eq!(can_read(&prim(Kind::Bytes), &prim(Kind::String)), Ok(()));
        assert!(can_read(&prim(Kind::String), &prim(Kind::Bytes)).is_err());
    }

    #[test]
    fn kind_only_knowledge_is_unchecked_unless_kinds_differ() {
        let avro = SchemaInfo::Kind { kind: Kind::Avro, what: "AVRO".into() };
        let json = SchemaInfo::Kind { kind: Kind::Json, what: "JSON".into() };
        assert!(matches!(reads(&avro, &avro), Verdict::Unchecked(_)));
        assert!(matches!(reads(&avro, &json), Verdict::Incompatible(_)));
        assert_eq!(Kind::parse("avro"), Some(Kind::Avro));
        assert_eq!(Kind::parse("local_date_time"), Some(Kind::LocalDateTime));
    }

    #[test]
    fn always_incompatible_allows_only_the_same_schema() {
        let s = prim(Kind::String);
        assert_eq!(Compatibility::AlwaysIncompatible.accepts(&s, &[("S", &s)]), Ok(()));
        assert!(Compatibility::AlwaysIncompatible.accepts(&prim(Kind::Bytes), &[("S", &s)]).is_err());
    }
}
