//! Avro schemas (also the record language of Pulsar's JSON schemas): parsing
//! from the Avro JSON form and reader/writer resolution.
//!
//! Resolution follows the Avro specification's "Schema Resolution" section;
//! where fmc is stricter (logical types) docs/schema-rules.md says so. Named
//! types are kept in a table so recursive records resolve without looping.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub enum Avro {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<Avro>),
    Map(Box<Avro>),
    Union(Vec<Avro>),
    /// A named type (record, enum, fixed) by full name; see [`AvroSchema::named`].
    Named(String),
    /// A primitive or named type carrying a `logicalType` annotation.
    Logical(Box<Avro>, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub aliases: Vec<String>,
    pub ty: Avro,
    pub has_default: bool,
    /// The default as written (Avro's JSON form).
    pub default: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NamedDef {
    Record { fields: Vec<Field> },
    Enum { symbols: Vec<String>, default: Option<String> },
    Fixed { size: u64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub full_name: String,
    pub aliases: Vec<String>,
    pub def: NamedDef,
}

/// A parsed schema: the root type and every named type it defines.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroSchema {
    pub root: Avro,
    pub named: BTreeMap<String, Named>,
}

impl AvroSchema {
    /// A short description of the root type for messages (`record Order`).
    pub fn describe(&self) -> String {
        describe(&self.root, self)
    }
}

fn describe(ty: &Avro, s: &AvroSchema) -> String {
    match ty {
        Avro::Named(n) => match s.named.get(n).map(|d| &d.def) {
            Some(NamedDef::Record { .. }) => format!("record `{}`", short(n)),
            Some(NamedDef::Enum { .. }) => format!("enum `{}`", short(n)),
            _ => format!("fixed `{}`", short(n)),
        },
        Avro::Array(i) => format!("array of {}", describe(i, s)),
        Avro::Map(v) => format!("map of {}", describe(v, s)),
        Avro::Union(b) => format!("union [{}]", b.iter().map(|t| describe(t, s)).collect::<Vec<_>>().join(", ")),
        Avro::Logical(inner, l) => format!("{} ({l})", describe(inner, s)),
        p => primitive_name(p).to_string(),
    }
}

fn primitive_name(ty: &Avro) -> &'static str {
    match ty {
        Avro::Null => "null",
        Avro::Boolean => "boolean",
        Avro::Int => "int",
        Avro::Long => "long",
        Avro::Float => "float",
        Avro::Double => "double",
        Avro::Bytes => "bytes",
        Avro::String => "string",
        _ => "complex",
    }
}

fn short(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

/// Parses an Avro schema from its JSON form. Errors say what is wrong, for a diagnostic.
pub fn parse(json: &serde_json::Value) -> Result<AvroSchema, String> {
    let mut p = Parser { named: BTreeMap::new(), depth: 0 };
    let root = p.ty(json, "")?;
    Ok(AvroSchema { root, named: p.named })
}

struct Parser {
    named: BTreeMap<String, Named>,
    depth: usize,
}

fn full_name(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() { name.to_string() } else { format!("{namespace}.{name}") }
}

impl Parser {
    fn ty(&mut self, json: &serde_json::Value, ns: &str) -> Result<Avro, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("schema nests deeper than 64 levels".into());
        }
        let out = match json {
            serde_json::Value::String(s) => self.by_name(s, ns),
            serde_json::Value::Array(branches) => self.union(branches, ns),
            serde_json::Value::Object(obj) => self.complex(obj, ns),
            other => Err(format!("`{other}` is not an Avro type")),
        };
        self.depth -= 1;
        out
    }

    fn by_name(&self, name: &str, ns: &str) -> Result<Avro, String> {
        Ok(match name {
            "null" => Avro::Null,
            "boolean" => Avro::Boolean,
            "int" => Avro::Int,
            "long" => Avro::Long,
            "float" => Avro::Float,
            "double" => Avro::Double,
            "bytes" => Avro::Bytes,
            "string" => Avro::String,
            other => {
                let full = full_name(other, ns);
                if self.named.contains_key(&full) {
                    Avro::Named(full)
                } else if self.named.contains_key(other) {
                    Avro::Named(other.to_string())
                } else {
                    return Err(format!("unknown type `{other}`"));
                }
            }
        })
    }

    fn union(&mut self, branches: &[serde_json::Value], ns: &str) -> Result<Avro, String> {
        let mut out = Vec::new();
        for b in branches {
            let t = self.ty(b, ns)?;
            if matches!(t, Avro::Union(_)) {
                return Err("a union may not directly contain a union".into());
            }
            if out.iter().any(|o| same_branch_kind(o, &t)) {
                return Err(format!("union has two branches of the same type ({})", primitive_or_name(&t)));
            }
            out.push(t);
        }
        Ok(Avro::Union(out))
    }

    fn complex(&mut self, obj: &serde_json::Map<String, serde_json::Value>, ns: &str) -> Result<Avro, String> {
        let Some(ty) = obj.get("type") else { return Err("object without `type`".into()) };
        let base = match ty.as_str() {
            Some("record" | "error") => self.record(obj, ns)?,
            Some("enum") => self.enumeration(obj, ns)?,
            Some("fixed") => self.fixed(obj, ns)?,
            Some("array") => Avro::Array(Box::new(self.ty(obj.get("items").ok_or("array without `items`")?, ns)?)),
            Some("map") => Avro::Map(Box::new(self.ty(obj.get("values").ok_or("map without `values`")?, ns)?)),
            _ => self.ty(ty, ns)?,
        };
        // The specification: a logical type an implementation does not know is
        // ignored, and the value read as its underlying type.
        Ok(match obj.get("logicalType").and_then(|l| l.as_str()) {
            Some(l) if KNOWN_LOGICAL_TYPES.contains(&l) => Avro::Logical(Box::new(base), logical_label(l, obj)),
            _ => base,
        })
    }

    fn declare(
        &mut self,
        obj: &serde_json::Map<String, serde_json::Value>,
        ns: &str,
    ) -> Result<(String, String), String> {
        let name = obj.get("name").and_then(|n| n.as_str()).ok_or("named type without `name`")?;
        let own_ns = obj.get("namespace").and_then(|n| n.as_str()).unwrap_or(ns);
        let full = full_name(name, own_ns);
        if self.named.contains_key(&full) {
            return Err(format!("type `{full}` is defined twice"));
        }
        let inner_ns = full.rsplit_once('.').map_or("", |(n, _)| n).to_string();
        Ok((full, inner_ns))
    }

    fn aliases(obj: &serde_json::Map<String, serde_json::Value>, ns: &str) -> Vec<String> {
        let list = obj.get("aliases").and_then(|a| a.as_array());
        list.into_iter().flatten().filter_map(|a| a.as_str()).map(|a| full_name(a, ns)).collect()
    }

    fn record(&mut self, obj: &serde_json::Map<String, serde_json::Value>, ns: &str) -> Result<Avro, String> {
        let (full, inner_ns) = self.declare(obj, ns)?;
        let aliases = Self::aliases(obj, &inner_ns);
        // Declared before the fields so that a field may refer to the record itself.
        let placeholder = NamedDef::Record { fields: Vec::new() };
        self.named.insert(full.clone(), Named { full_name: full.clone(), aliases, def: placeholder });
        let list = obj.get("fields").and_then(|f| f.as_array()).ok_or(format!("record `{full}` without `fields`"))?;
        let mut fields = Vec::new();
        let mut seen = BTreeSet::new();
        for f in list {
            let name = f.get("name").and_then(|n| n.as_str()).ok_or(format!("a field of `{full}` has no `name`"))?;
            if !seen.insert(name.to_string()) {
                return Err(format!("record `{full}` has two fields named `{name}`"));
            }
            let ty = self.ty(f.get("type").ok_or(format!("field `{name}` has no `type`"))?, &inner_ns)?;
            let aliases = f.get("aliases").and_then(|a| a.as_array());
            let aliases = aliases.into_iter().flatten().filter_map(|a| a.as_str()).map(str::to_string).collect();
            let default = f.get("default").cloned();
            fields.push(Field { name: name.to_string(), aliases, ty, has_default: default.is_some(), default });
        }
        if let Some(n) = self.named.get_mut(&full) {
            n.def = NamedDef::Record { fields };
        }
        Ok(Avro::Named(full))
    }

    fn enumeration(&mut self, obj: &serde_json::Map<String, serde_json::Value>, ns: &str) -> Result<Avro, String> {
        let (full, inner_ns) = self.declare(obj, ns)?;
        let list = obj.get("symbols").and_then(|s| s.as_array()).ok_or(format!("enum `{full}` without `symbols`"))?;
        let symbols: Vec<String> = list.iter().filter_map(|s| s.as_str()).map(str::to_string).collect();
        let default = obj.get("default").and_then(|d| d.as_str()).map(str::to_string);
        if let Some(d) = &default
            && !symbols.contains(d)
        {
            return Err(format!("enum `{full}` default `{d}` is not one of its symbols"));
        }
        let aliases = Self::aliases(obj, &inner_ns);
        self.named
            .insert(full.clone(), Named { full_name: full.clone(), aliases, def: NamedDef::Enum { symbols, default } });
        Ok(Avro::Named(full))
    }

    fn fixed(&mut self, obj: &serde_json::Map<String, serde_json::Value>, ns: &str) -> Result<Avro, String> {
        let (full, inner_ns) = self.declare(obj, ns)?;
        let size = obj.get("size").and_then(|s| s.as_u64()).ok_or(format!("fixed `{full}` without a `size`"))?;
        let aliases = Self::aliases(obj, &inner_ns);
        self.named.insert(full.clone(), Named { full_name: full.clone(), aliases, def: NamedDef::Fixed { size } });
        Ok(Avro::Named(full))
    }
}

/// The logical types of the Avro specification (1.12); any other is ignored.
const KNOWN_LOGICAL_TYPES: [&str; 13] = [
    "decimal",
    "big-decimal",
    "uuid",
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "timestamp-nanos",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "local-timestamp-nanos",
    "duration",
];

/// `decimal(10,2)` keeps precision and scale: they change how bytes are read.
fn logical_label(logical: &str, obj: &serde_json::Map<String, serde_json::Value>) -> String {
    if logical == "decimal" {
        let n = |k: &str| obj.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        format!("decimal({},{})", n("precision"), n("scale"))
    } else {
        logical.to_string()
    }
}

fn same_branch_kind(a: &Avro, b: &Avro) -> bool {
    match (strip(a), strip(b)) {
        (Avro::Named(x), Avro::Named(y)) => x == y,
        (Avro::Array(_), Avro::Array(_)) | (Avro::Map(_), Avro::Map(_)) => true,
        (x, y) => std::mem::discriminant(x) == std::mem::discriminant(y) && !matches!(x, Avro::Named(_)),
    }
}

fn primitive_or_name(t: &Avro) -> String {
    match strip(t) {
        Avro::Named(n) => n.clone(),
        Avro::Array(_) => "array".into(),
        Avro::Map(_) => "map".into(),
        p => primitive_name(p).into(),
    }
}

fn strip(t: &Avro) -> &Avro {
    match t {
        Avro::Logical(inner, _) => inner,
        t => t,
    }
}

/// Whether a reader with schema `reader` can read data written with `writer`;
/// `Err` explains the first reason it cannot (a path such as `field \`currency\``).
pub fn can_read(reader: &AvroSchema, writer: &AvroSchema) -> Result<(), String> {
    let mut r = Resolver { reader, writer, assumed: BTreeSet::new() };
    r.resolve(&reader.root, &writer.root)
}

struct Resolver<'a> {
    reader: &'a AvroSchema,
    writer: &'a AvroSchema,
    /// Pairs of named types already being compared (recursive types).
    assumed: BTreeSet<(String, String)>,
}

impl Resolver<'_> {
    fn resolve(&mut self, r: &Avro, w: &Avro) -> Result<(), String> {
        if let Avro::Union(wb) = w {
            // Every branch the writer may use must be readable.
            for b in wb {
                self.resolve(r, b).map_err(|e| format!("writer union branch {}: {e}", primitive_or_name(b)))?;
            }
            return Ok(());
        }
        if let Avro::Union(rb) = r {
            return match rb.iter().find(|b| self.resolve(b, w).is_ok()) {
                Some(_) => Ok(()),
                None => Err(format!("no branch of the reader's union can read {}", self.writer_desc(w))),
            };
        }
        if let (Avro::Logical(_, lr), Avro::Logical(_, lw)) = (r, w)
            && lr != lw
        {
            return Err(format!("logical type `{lw}` is read as `{lr}`"));
        }
        self.resolve_plain(strip(r), strip(w))
    }

    fn writer_desc(&self, w: &Avro) -> String {
        describe(w, self.writer)
    }

    fn resolve_plain(&mut self, r: &Avro, w: &Avro) -> Result<(), String> {
        use Avro::*;
        match (r, w) {
            (Null, Null) | (Boolean, Boolean) | (Int, Int) | (Long, Long) | (Float, Float) | (Double, Double) => Ok(()),
            (Bytes, Bytes) | (String, String) => Ok(()),
            // Promotions (spec: "the writer's schema may be promoted to the reader's").
            (Long | Float | Double, Int) | (Float | Double, Long) | (Double, Float) => Ok(()),
            (String, Bytes) | (Bytes, String) => Ok(()),
            (Array(ri), Array(wi)) => self.resolve(ri, wi).map_err(|e| format!("array items: {e}")),
            (Map(rv), Map(wv)) => self.resolve(rv, wv).map_err(|e| format!("map values: {e}")),
            (Named(rn), Named(wn)) => self.named(rn, wn),
            _ => Err(format!("{} is written but {} is read", describe(w, self.writer), describe(r, self.reader))),
        }
    }

    fn named(&mut self, rn: &str, wn: &str) -> Result<(), String> {
        if !self.assumed.insert((rn.to_string(), wn.to_string())) {
            return Ok(());
        }
        let (Some(rd), Some(wd)) = (self.reader.named.get(rn), self.writer.named.get(wn)) else {
            return Err(format!("unknown named type `{rn}` or `{wn}`"));
        };
        // As Avro's own check: the same unqualified name, or a reader alias
        // (qualified by the reader's namespace) that is the writer's full name.
        let names_match = short(rn) == short(wn) || rd.aliases.iter().any(|a| a == wn);
        match (&rd.def, &wd.def) {
            (NamedDef::Record { fields: rf }, NamedDef::Record { fields: wf }) => {
                if !names_match {
                    return Err(format!("record `{}` is read as record `{}`", short(wn), short(rn)));
                }
                self.record(rf, wf, short(rn))
            }
            (NamedDef::Enum { symbols: rs, default }, NamedDef::Enum { symbols: ws, .. }) => {
                if !names_match {
                    return Err(format!("enum `{}` is read as enum `{}`", short(wn), short(rn)));
                }
                match ws.iter().find(|s| !rs.contains(s)) {
                    Some(missing) if default.is_none() => Err(format!(
                        "enum `{}`: symbol `{missing}` is not known to the reader, which has no default",
                        short(rn)
                    )),
                    _ => Ok(()),
                }
            }
            (NamedDef::Fixed { size: rs }, NamedDef::Fixed { size: ws }) => {
                if !names_match {
                    return Err(format!("fixed `{}` is read as fixed `{}`", short(wn), short(rn)));
                }
                if rs == ws { Ok(()) } else { Err(format!("fixed `{}` has size {ws}, read as size {rs}", short(rn))) }
            }
            _ => Err(format!("`{}` is written but `{}` is read", short(wn), short(rn))),
        }
    }

    fn record(&mut self, rf: &[Field], wf: &[Field], record: &str) -> Result<(), String> {
        for field in rf {
            let written = wf.iter().find(|w| w.name == field.name || field.aliases.contains(&w.name));
            match written {
                Some(w) => {
                    self.resolve(&field.ty, &w.ty).map_err(|e| format!("field `{}` of `{record}`: {e}", field.name))?
                }
                None if field.has_default => {}
                None => {
                    return Err(format!("field `{}` of `{record}` is not written and has no default", field.name));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: serde_json::Value) -> AvroSchema {
        parse(&v).expect("valid schema")
    }

    fn order(fields: serde_json::Value) -> AvroSchema {
        s(json!({"type": "record", "name": "Order", "namespace": "shop", "fields": fields}))
    }

    #[test]
    fn missing_field_without_default_is_reported() {
        let v1 = order(json!([{"name": "id", "type": "string"}]));
        let v2 = order(json!([{"name": "id", "type": "string"}, {"name": "currency", "type": "string"}]));
        let err = can_read(&v2, &v1).unwrap_err();
        assert_eq!(err, "field `currency` of `Order` is not written and has no default");
        let v2d =
            order(json!([{"name": "id", "type": "string"}, {"name": "currency", "type": "string", "default": "EUR"}]));
        assert_eq!(can_read(&v2d, &v1), Ok(()));
        assert_eq!(can_read(&v1, &v2), Ok(()), "extra writer fields are ignored");
    }

    #[test]
    fn recursive_records_terminate() {
        let list = s(json!({"type": "record", "name": "Node", "fields": [
            {"name": "v", "type": "int"}, {"name": "next", "type": ["null", "Node"]}]}));
        assert_eq!(can_read(&list, &list), Ok(()));
    }

    #[test]
    fn bad_schemas_are_errors() {
        assert!(parse(&json!({"type": "record", "name": "X"})).is_err());
        assert!(parse(&json!(["int", "int"])).is_err());
        assert!(parse(&json!("Nope")).is_err());
        assert!(parse(&json!({"type": "enum", "name": "E", "symbols": ["A"], "default": "B"})).is_err());
    }
}
