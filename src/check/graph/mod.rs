//! The stream graph: components and topics as one petgraph, and the rules that
//! read it (type checking, topic lints, cycles).
//!
//! The graph is bipartite: an edge goes from a component to each topic it writes
//! and from a topic to each component that reads it, carrying the [`Port`] (the
//! schema used at that end and where it is named). Displays (`fmc graph`) fold
//! topic nodes into labelled component-to-component edges. Components of native
//! meshes bring their ports ([`DeclaredIo`]); operator components get theirs
//! derived from the spec ([`ports`]), with whatever the spec says of schemas.
//!
//! Codes: C018–C025 (one rule per file).

mod cycles;
mod duplicates;
mod fan_in;
pub mod ports;
mod produced;
mod subscriptions;
pub mod types;

use crate::ast::Document;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::streams::{DeclaredIo, Port, PortRole, TopicFacts, TopicTable};
use crate::resolve::{Component, Resolved};
use crate::types::Verdict;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub enum Node {
    /// Index into `Resolved::components`.
    Component(usize),
    Topic {
        address: String,
        facts: Option<TopicFacts>,
    },
}

/// A reader/writer pair the type checker looked at, for `fmc check --types` and graphs.
#[derive(Debug, Clone)]
pub struct Pairing {
    pub topic: String,
    pub reader: usize,
    /// The writing component, or `None` for the topic's own schema (external data).
    pub writer: Option<usize>,
    pub reader_schema: String,
    pub writer_schema: String,
    pub verdict: Verdict,
}

#[derive(Debug)]
pub struct StreamGraph {
    pub graph: DiGraph<Node, Port>,
    /// Topic nodes by address, sorted.
    pub topics: BTreeMap<String, NodeIndex>,
    /// Filled by the type checker.
    pub pairings: Vec<Pairing>,
}

impl StreamGraph {
    pub fn build(resolved: &Resolved, docs: &[Document]) -> StreamGraph {
        let mut g = StreamGraph { graph: DiGraph::new(), topics: BTreeMap::new(), pairings: Vec::new() };
        for (i, comp) in resolved.components.iter().enumerate() {
            let node = g.graph.add_node(Node::Component(i));
            let io = comp.io.clone().unwrap_or_else(|| ports::derive(comp, docs));
            g.connect(node, io, &resolved.topics);
        }
        // Declared topics nobody uses still appear (the lints look at them).
        for address in resolved.topics.keys() {
            g.topic(address, &resolved.topics);
        }
        g
    }

    fn topic(&mut self, address: &str, table: &TopicTable) -> NodeIndex {
        if let Some(n) = self.topics.get(address) {
            return *n;
        }
        let node =
            self.graph.add_node(Node::Topic { address: address.to_string(), facts: table.get(address).cloned() });
        self.topics.insert(address.to_string(), node);
        node
    }

    fn connect(&mut self, comp: NodeIndex, io: DeclaredIo, table: &TopicTable) {
        for port in io.inputs {
            let t = self.topic(&port.topic, table);
            self.graph.add_edge(t, comp, port);
        }
        for port in io.outputs {
            let t = self.topic(&port.topic, table);
            self.graph.add_edge(comp, t, port);
        }
    }

    /// (component index, port) of every writer of `topic`, in component order.
    pub fn writers(&self, topic: NodeIndex) -> Vec<(usize, &Port)> {
        self.ends(topic, petgraph::Direction::Incoming)
    }

    /// (component index, port) of every reader of `topic`, in component order.
    pub fn readers(&self, topic: NodeIndex) -> Vec<(usize, &Port)> {
        self.ends(topic, petgraph::Direction::Outgoing)
    }

    /// The components at the other end of `topic`'s edges in `direction`.
    fn ends(&self, topic: NodeIndex, direction: petgraph::Direction) -> Vec<(usize, &Port)> {
        let mut out: Vec<(usize, &Port)> = self
            .graph
            .edges_directed(topic, direction)
            .filter_map(|e| {
                let other = if direction == petgraph::Direction::Incoming { e.source() } else { e.target() };
                self.component_of(other).map(|c| (c, e.weight()))
            })
            .collect();
        out.sort_by_key(|(c, p)| (*c, p.span.start));
        out
    }

    pub fn component_of(&self, node: NodeIndex) -> Option<usize> {
        match self.graph[node] {
            Node::Component(i) => Some(i),
            Node::Topic { .. } => None,
        }
    }

    pub fn facts(&self, topic: NodeIndex) -> Option<&TopicFacts> {
        match &self.graph[topic] {
            Node::Topic { facts, .. } => facts.as_ref(),
            Node::Component(_) => None,
        }
    }
}

/// What a graph rule sees.
pub struct GraphCtx<'a> {
    pub graph: &'a StreamGraph,
    pub components: &'a [Component],
    pub docs: &'a [Document],
}

impl GraphCtx<'_> {
    /// `function \`enrich\``: how messages name a component.
    pub fn describe(&self, comp: usize) -> String {
        let c = &self.components[comp];
        format!("{} `{}`", c.kind.component(), c.cr_name)
    }

    /// How messages name a topic: its logical name when declared, else its address.
    pub fn topic_name(&self, topic: NodeIndex) -> String {
        match &self.graph.graph[topic] {
            Node::Topic { facts: Some(f), .. } => f.logical.clone(),
            Node::Topic { address, .. } => address.clone(),
            Node::Component(_) => String::new(),
        }
    }
}

type GraphRule = fn(&GraphCtx) -> Vec<Diagnostic>;

const RULES: &[GraphRule] = &[
    produced::never_produced,
    produced::never_consumed,
    duplicates::check,
    subscriptions::check,
    cycles::check,
    fan_in::check,
];

/// Builds the graph, runs the type checker and every graph rule.
pub fn check(resolved: &Resolved, docs: &[Document]) -> (StreamGraph, Diagnostics) {
    let mut graph = StreamGraph::build(resolved, docs);
    let mut diags = Diagnostics::default();
    let (pairings, d) = types::check(&graph, &resolved.components, docs);
    graph.pairings = pairings;
    diags.extend(d);
    let ctx = GraphCtx { graph: &graph, components: &resolved.components, docs };
    for rule in RULES {
        diags.extend(rule(&ctx));
    }
    (graph, diags)
}

/// Whether a port carries the component's own data (not dead letters or logs).
pub fn is_data(port: &Port) -> bool {
    matches!(port.role, PortRole::Input | PortRole::Output | PortRole::Route)
}
