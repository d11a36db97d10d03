//! The spanned YAML tree every later stage reads.
//!
//! Scalars are already resolved to typed values (YAML 1.2 core schema), aliases
//! are expanded and merge keys (`<<`) applied, so later stages see plain data with
//! a [`Span`] on every node and on every mapping key.

use crate::source::{FileId, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// One segment of a path into a document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathSeg {
    Key(String),
    Index(usize),
    /// The n-th entry of a mapping, by position: a key found once, then reached
    /// in constant time (a mesh's `functions` map can hold thousands of keys).
    Entry(usize),
}

impl std::fmt::Display for PathSeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathSeg::Key(k) => f.write_str(k),
            PathSeg::Index(i) => write!(f, "[{i}]"),
            PathSeg::Entry(i) => write!(f, "{{{i}}}"),
        }
    }
}

/// Formats a path the way users write it: `spec.pod.volumes[0].name`.
pub fn path_to_string(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        if matches!(seg, PathSeg::Key(_)) && !out.is_empty() {
            out.push('.');
        }
        out.push_str(&seg.to_string());
    }
    out
}

/// A YAML document of one input file.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    /// Position of the document in its file (0-based).
    pub index: usize,
    pub root: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node at exactly `path`, if it exists.
    pub fn find(&self, path: &[PathSeg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match (seg, &node.value) {
                (PathSeg::Key(k), Value::Map(_)) => node.get(k)?,
                (PathSeg::Index(i), Value::Seq(items)) => items.get(*i)?,
                (PathSeg::Entry(i), Value::Map(entries)) => &entries.get(*i)?.value,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The node at `path`, or the deepest existing ancestor.
    pub fn lookup(&self, path: &[PathSeg]) -> &Node {
        let mut node = self;
        for seg in path {
            let next = match (seg, &node.value) {
                (PathSeg::Key(k), Value::Map(_)) => node.get(k),
                (PathSeg::Index(i), Value::Seq(items)) => items.get(*i),
                (PathSeg::Entry(i), Value::Map(entries)) => entries.get(*i).map(|e| &e.value),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }

    /// The span of the key that ends `path` (falls back to the value's span).
    pub fn key_span(&self, path: &[PathSeg]) -> Span {
        let entry = match path.split_last() {
            Some((PathSeg::Key(last), parent)) => self.lookup(parent).entry(last),
            Some((PathSeg::Entry(i), parent)) => match self.find(parent) {
                Some(Node { value: Value::Map(entries), .. }) => entries.get(*i),
                _ => None,
            },
            _ => None,
        };
        entry.map_or_else(|| self.lookup(path).span, |e| e.key_span)
    }

    /// The position of `key` among this mapping's entries.
    pub fn entry_index(&self, key: &str) -> Option<usize> {
        match &self.value {
            Value::Map(entries) => entries.iter().position(|e| e.key == key),
            _ => None,
        }
    }

    /// Converts to JSON for typed decoding. Mapping keys stay in input order
    /// only as far as serde_json's sorted map allows; nothing later depends on it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect()),
        }
    }
}
