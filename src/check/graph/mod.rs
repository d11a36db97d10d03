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
//! A topic node is one address on one Pulsar cluster ([`Placement`]): the
//! same name on two clusters is two topics, so a reader on one never pairs
//! with a writer on the other, and every rule below sees each cluster's topic
//! apart. Only a topic the mesh declares geo-replicated
//! (`replicationClusters`) is one node across the clusters it lists.
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
use crate::resolve::{ClusterRef, Component, Resolved};
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
        placement: Placement,
        facts: Option<Box<TopicFacts>>,
    },
}

/// Where a topic node is: Pulsar keeps a topic per cluster unless it is
/// geo-replicated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    /// Declared, and neither read nor written on any cluster.
    Nowhere,
    Cluster(ClusterRef),
    /// Replicated across these mesh clusters (sorted names).
    Replicated(Vec<String>),
}

impl Placement {
    /// How messages and graphs name it: `us`, `us+eu`, or empty.
    pub fn name(&self) -> String {
        match self {
            Placement::Nowhere => String::new(),
            Placement::Cluster(c) => c.name.clone(),
            Placement::Replicated(names) => names.join("+"),
        }
    }

    /// What tells placements apart: a cluster's key (two ConfigMaps for one
    /// broker are one cluster, whatever they are called).
    pub fn identity(&self) -> String {
        match self {
            Placement::Nowhere => String::new(),
            Placement::Cluster(c) => c.key.clone(),
            Placement::Replicated(names) => format!("replicated across {}", names.join(",")),
        }
    }
}

/// A topic node's identity: its address and its placement's identity.
pub type TopicKey = (String, String);

/// A reader/writer pair the type checker looked at, for `fmc check --types` and graphs.
#[derive(Debug, Clone)]
pub struct Pairing {
    pub topic: String,
    /// The topic's node (the address on one cluster).
    pub node: NodeIndex,
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
    /// Topic nodes by address and placement, sorted.
    pub topics: BTreeMap<TopicKey, NodeIndex>,
    /// Whether the components run on more than one cluster.
    pub clusters: usize,
    /// Filled by the type checker.
    pub pairings: Vec<Pairing>,
}

impl StreamGraph {
    pub fn build(resolved: &Resolved, docs: &[Document]) -> StreamGraph {
        let mut g = StreamGraph { graph: DiGraph::new(), topics: BTreeMap::new(), clusters: 0, pairings: Vec::new() };
        let mut clusters = std::collections::BTreeSet::new();
        for (i, comp) in resolved.components.iter().enumerate() {
            let node = g.graph.add_node(Node::Component(i));
            let io = comp.io.clone().unwrap_or_else(|| ports::derive(comp, docs));
            g.connect(node, &comp.cluster, io, &resolved.topics);
            clusters.insert(&comp.cluster.key);
        }
        g.clusters = clusters.len();
        // Declared topics nobody uses still appear (the lints look at them).
        for address in resolved.topics.keys() {
            if g.nodes_of(address).next().is_none() {
                g.topic(address, Placement::Nowhere, &resolved.topics);
            }
        }
        g
    }

    fn topic(&mut self, address: &str, placement: Placement, table: &TopicTable) -> NodeIndex {
        let key = (address.to_string(), placement.identity());
        if let Some(n) = self.topics.get(&key) {
            return *n;
        }
        let facts = table.get(address).cloned().map(Box::new);
        let node = self.graph.add_node(Node::Topic { address: key.0.clone(), placement, facts });
        self.topics.insert(key, node);
        node
    }

    fn connect(&mut self, comp: NodeIndex, cluster: &ClusterRef, io: DeclaredIo, table: &TopicTable) {
        let placement = |address: &str| match table.get(address) {
            Some(f) if f.replication_clusters.contains(&cluster.name) => {
                Placement::Replicated(f.replication_clusters.clone())
            }
            _ => Placement::Cluster(cluster.clone()),
        };
        for port in io.inputs {
            let t = self.topic(&port.topic, placement(&port.topic), table);
            self.graph.add_edge(t, comp, port);
        }
        for port in io.outputs {
            let t = self.topic(&port.topic, placement(&port.topic), table);
            self.graph.add_edge(comp, t, port);
        }
    }

    /// Where a topic node is.
    pub fn placement(&self, topic: NodeIndex) -> Option<&Placement> {
        match &self.graph[topic] {
            Node::Topic { placement, .. } => Some(placement),
            Node::Component(_) => None,
        }
    }

    /// The nodes of `address` on every cluster (a range of the sorted keys,
    /// not a scan: a large mesh has thousands of topics).
    fn nodes_of<'a>(&'a self, address: &'a str) -> impl Iterator<Item = NodeIndex> + 'a {
        let start = (address.to_string(), String::new());
        self.topics.range(start..).take_while(move |((a, _), _)| a == address).map(|(_, n)| *n)
    }

    /// The other nodes of `topic`'s address: the same name on other clusters.
    pub fn elsewhere(&self, topic: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        let address = match &self.graph[topic] {
            Node::Topic { address, .. } => address.as_str(),
            Node::Component(_) => "",
        };
        self.nodes_of(address).filter(move |n| *n != topic)
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
            Node::Topic { facts, .. } => facts.as_deref(),
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

    /// ` on cluster \`us\``, when the mesh spans several clusters; else empty.
    pub fn on_cluster(&self, topic: NodeIndex) -> String {
        let placement = self.graph.placement(topic).map(Placement::name).unwrap_or_default();
        if self.graph.clusters < 2 || placement.is_empty() {
            return String::new();
        }
        format!(" on cluster `{placement}`")
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
