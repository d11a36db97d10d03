//! What the stream graph needs to know beyond the operator spec: which topics a
//! component reads and writes, with which schema, and what each topic declares.
//!
//! The native DSL fills these in while lowering (it knows schemas by name);
//! operator resources get theirs derived from the spec by `check::graph`.

use crate::source::Span;
use crate::types::{Compatibility, Schema, SchemaInfo};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a component reads or writes a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PortRole {
    Input,
    Output,
    /// One of a routing function's topics (its data, like `Output`).
    Route,
    DeadLetter,
    Log,
}

/// One end of a topic at a component.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    /// Full address, `persistent://tenant/namespace/topic`.
    pub topic: String,
    pub schema: SchemaInfo,
    /// Where the component names the topic.
    pub span: Span,
    /// Where the component names the schema of this end, when it does (a
    /// type error is about the schema, so it is shown there).
    pub schema_span: Option<Span>,
    pub role: PortRole,
}

/// A component's inputs and outputs as the DSL declared them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeclaredIo {
    /// The mesh cluster the component runs against, by its name in the mesh.
    pub cluster: Option<String>,
    pub inputs: Vec<Port>,
    /// The output topic, then the dead-letter and log topics.
    pub outputs: Vec<Port>,
}

/// A topic declared in a mesh.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicFacts {
    /// Logical name in the mesh.
    pub logical: String,
    pub address: String,
    /// The topic's schema (name, definition) when it declares one.
    pub schema: Option<(String, Arc<Schema>)>,
    /// Older schemas, oldest first.
    pub history: Vec<(String, Arc<Schema>)>,
    pub compatibility: Compatibility,
    pub external: bool,
    pub multiple_producers: bool,
    pub partitions: Option<u32>,
    /// The mesh clusters the topic is geo-replicated across, sorted; empty
    /// when it is not (each cluster then has a topic of its own).
    pub replication_clusters: Vec<String>,
    /// The declaration's key.
    pub span: Span,
}

/// Declared topics by address.
pub type TopicTable = BTreeMap<String, TopicFacts>;

/// Pulsar's normal form of a topic name: `persistent://public/default/x` for
/// `x`, `persistent://t/ns/x` for `t/ns/x`; full addresses stay as they are.
pub fn normalize_topic(name: &str) -> String {
    if name.contains("://") {
        return name.to_string();
    }
    match name.split('/').count() {
        1 => format!("persistent://public/default/{name}"),
        _ => format!("persistent://{name}"),
    }
}
