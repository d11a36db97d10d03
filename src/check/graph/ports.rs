//! The ports of an operator resource, derived from its spec.
//!
//! An operator spec says little about schemas: `sourceSpecs.<topic>.schemaType`,
//! `customSchemaSources`, `output.sinkSchemaType`, `customSchemaSinks` name a
//! schema type; `typeClassName` names a Java class, which pins a primitive
//! (`java.lang.String` → STRING) but not a POJO's schema. Whatever is not said
//! stays [`SchemaInfo::Unknown`], so the checker reports "unchecked", never a guess.
//! Only the Java runtime takes its schema from `typeClassName`, and only a class
//! the input writes counts (the webhook's `[B` default says nothing of intent).
//! Topic patterns cannot be resolved statically and make no port.

use crate::ast::Document;
use crate::model::ComponentKind;
use crate::model::streams::{DeclaredIo, Port, PortRole, normalize_topic};
use crate::resolve::Component;
use crate::types::{Kind, SchemaInfo, from_java_class};

pub fn derive(comp: &Component, docs: &[Document]) -> DeclaredIo {
    let mut io = DeclaredIo::default();
    let spec = &comp.spec;
    // A port's diagnostics point at where its schema is declared (a
    // `typeClassName`, a `schemaType`), when the spec declares one.
    let port = |topic: &str, path: &[&str], (schema, at): (SchemaInfo, Option<Vec<String>>), role: PortRole| Port {
        topic: normalize_topic(topic),
        schema,
        span: comp.origin.span(docs, path),
        schema_span: at.map(|at| comp.origin.span(docs, &at.iter().map(String::as_str).collect::<Vec<_>>())),
        role,
    };
    if comp.kind != ComponentKind::Source && !(comp.kind == ComponentKind::Function && spec.source_config.is_some()) {
        let mut seen = Vec::new();
        for (path, t) in crate::check::input_topics(&spec.input.clone().unwrap_or_default()) {
            if !seen.contains(&t) {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                io.inputs.push(port(&t, &path, input_schema(comp, docs, &t), PortRole::Input));
                seen.push(t);
            }
        }
    }
    let sink_connector = comp.kind == ComponentKind::Function && spec.sink_config.is_some();
    if comp.kind != ComponentKind::Sink
        && !sink_connector
        && let Some(t) = spec.output.as_ref().and_then(|o| o.topic.as_deref()).filter(|t| !t.is_empty())
    {
        io.outputs.push(port(t, &["output", "topic"], output_schema(comp, docs, t), PortRole::Output));
    }
    if let Some(t) = spec.dead_letter_topic.as_deref().filter(|t| !t.is_empty()) {
        let why = SchemaInfo::Unknown { why: "dead letters keep the schema of the input they came from".into() };
        io.outputs.push(port(t, &["deadLetterTopic"], (why, None), PortRole::DeadLetter));
    }
    if let Some(t) = spec.log_topic.as_deref().filter(|t| !t.is_empty()) {
        let log = SchemaInfo::Kind { kind: Kind::String, what: "log lines (STRING)".into() };
        io.outputs.push(port(t, &["logTopic"], (log, None), PortRole::Log));
    }
    io
}

fn kind_info(kind_name: &str, source: &str) -> SchemaInfo {
    match Kind::parse(kind_name) {
        Some(kind) => SchemaInfo::Kind { kind, what: format!("{} ({source})", kind.name()) },
        None => SchemaInfo::Unknown { why: format!("schema type `{kind_name}` is a custom class") },
    }
}

/// A port's schema and where the spec declares it.
type Declared = (SchemaInfo, Option<Vec<String>>);

fn at(path: &[&str]) -> Option<Vec<String>> {
    Some(path.iter().map(|p| p.to_string()).collect())
}

/// What `typeClassName` at `path` tells: a Java class the input wrote.
fn class_schema(comp: &Component, docs: &[Document], path: &[&str], class: Option<&str>) -> Declared {
    if comp.spec.java.is_none() {
        return (
            SchemaInfo::Unknown { why: "only the Java runtime takes its schema from `typeClassName`".into() },
            None,
        );
    }
    match class {
        Some(class) if comp.origin.written(docs, path) => (from_java_class(class), at(path)),
        _ => (SchemaInfo::Unknown { why: "the spec names no schema or class".into() }, None),
    }
}

fn input_schema(comp: &Component, docs: &[Document], topic: &str) -> Declared {
    let input = comp.spec.input.clone().unwrap_or_default();
    if let Some(t) = input.source_specs.as_ref().and_then(|m| m.get(topic)).and_then(|c| c.schema_type.clone()) {
        return (kind_info(&t, "sourceSpecs.schemaType"), at(&["input", "sourceSpecs", topic, "schemaType"]));
    }
    if let Some(t) = input.custom_schema_sources.as_ref().and_then(|m| m.get(topic)) {
        return (kind_info(t, "customSchemaSources"), at(&["input", "customSchemaSources", topic]));
    }
    if input.custom_serde_sources.as_ref().is_some_and(|m| m.contains_key(topic)) {
        return (SchemaInfo::Unknown { why: "read with a custom SerDe class".into() }, None);
    }
    class_schema(comp, docs, &["input", "typeClassName"], input.type_class_name.as_deref())
}

fn output_schema(comp: &Component, docs: &[Document], topic: &str) -> Declared {
    let output = comp.spec.output.clone().unwrap_or_default();
    let custom = output.custom_schema_sinks.as_ref().and_then(|m| m.get(topic));
    if let Some(conf) = custom {
        // The operator stores a JSON ConsumerConfig, or (older) a bare schema type.
        let parsed: Option<String> = serde_json::from_str::<serde_json::Value>(conf)
            .ok()
            .and_then(|v| v.get("schemaType").and_then(|s| s.as_str()).map(str::to_string));
        let info = kind_info(parsed.as_deref().unwrap_or(conf), "customSchemaSinks");
        return (info, at(&["output", "customSchemaSinks", topic]));
    }
    if let Some(t) = output.sink_schema_type.as_deref().filter(|t| !t.is_empty()) {
        return (kind_info(t, "output.sinkSchemaType"), at(&["output", "sinkSchemaType"]));
    }
    if output.sink_serde_class_name.as_deref().is_some_and(|s| !s.is_empty()) {
        return (SchemaInfo::Unknown { why: "written with a custom SerDe class".into() }, None);
    }
    class_schema(comp, docs, &["output", "typeClassName"], output.type_class_name.as_deref())
}
