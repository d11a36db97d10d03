//! The stream graph as a picture: Graphviz DOT or Mermaid (`fmc graph`).
//!
//! Components are nodes (sources as parallelograms/stadiums, sinks as
//! cylinders); topics are labelled edges from each writer to each reader, with
//! the schema names at both ends. A topic with no writer (or no reader) in the
//! mesh is drawn as its own node so nothing disappears. Edges the type checker
//! could not check are dashed, incompatible ones red. Output is deterministic:
//! topics in address order, components in input order. When the components
//! run on several clusters, each cluster is a subgraph holding its components
//! and its topic nodes; an edge between two subgraphs is a replicated topic.

use crate::check::graph::{Node, Pairing, Placement, StreamGraph};
use crate::model::ComponentKind;
use crate::resolve::Component;
use crate::types::Verdict;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

/// One drawn edge.
struct Edge {
    from: String,
    to: String,
    label: String,
    verdict: Option<Verdict>,
}

pub fn render(graph: &StreamGraph, components: &[Component], format: GraphFormat) -> String {
    let mut topic_nodes = Vec::new();
    let mut edges = Vec::new();
    for ((address, _), &topic) in &graph.topics {
        let name = match &graph.graph[topic] {
            Node::Topic { facts: Some(f), .. } => f.logical.clone(),
            _ => address.clone(),
        };
        let external = graph.facts(topic).is_some_and(|f| f.external);
        let writers = graph.writers(topic);
        let readers = graph.readers(topic);
        let topic_id = format!("t{}", topic_nodes.len());
        let mut needs_node = writers.is_empty() || readers.is_empty() || external;
        for (r, rport) in &readers {
            if writers.is_empty() {
                let held = graph.facts(topic).and_then(|f| f.schema.as_ref()).map(|(n, _)| n.clone());
                let label = match held {
                    Some(h) if h != rport.schema.label() => format!("{name} · {h} → {}", rport.schema.label()),
                    _ => format!("{name} · {}", rport.schema.label()),
                };
                edges.push(Edge {
                    from: topic_id.clone(),
                    to: comp_id(*r),
                    label,
                    verdict: pairing(graph, topic, *r, None),
                });
            }
            for (w, wport) in &writers {
                let (ws, rs) = (wport.schema.label(), rport.schema.label());
                let schemas = if ws == rs { ws } else { format!("{ws} → {rs}") };
                let label = format!("{name} · {schemas}");
                edges.push(Edge {
                    from: comp_id(*w),
                    to: comp_id(*r),
                    label,
                    verdict: pairing(graph, topic, *r, Some(*w)),
                });
            }
        }
        if readers.is_empty() {
            for (w, wport) in &writers {
                let label = format!("{name} · {}", wport.schema.label());
                edges.push(Edge { from: comp_id(*w), to: topic_id.clone(), label, verdict: None });
            }
        } else if external && !writers.is_empty() {
            // Outside readers too: show the topic leaving the mesh.
            for (w, _) in &writers {
                edges.push(Edge { from: comp_id(*w), to: topic_id.clone(), label: name.clone(), verdict: None });
            }
        }
        needs_node &= !(writers.is_empty() && readers.is_empty()) || graph.facts(topic).is_some();
        if needs_node {
            let cluster = match graph.placement(topic) {
                Some(Placement::Cluster(c)) => Some(c.key.clone()),
                _ => None,
            };
            topic_nodes.push(TopicNode { id: topic_id, name, external, cluster });
        }
    }
    let groups = groups(graph, components, &topic_nodes);
    match format {
        GraphFormat::Dot => dot(components, &topic_nodes, &edges, &groups),
        GraphFormat::Mermaid => mermaid(components, &topic_nodes, &edges, &groups),
    }
}

/// A topic drawn as a node of its own.
struct TopicNode {
    id: String,
    name: String,
    external: bool,
    /// The key of its cluster, when it is on one.
    cluster: Option<String>,
}

/// A cluster's subgraph: its name and the ids of its nodes.
struct Group {
    name: String,
    nodes: Vec<String>,
}

/// The clusters' subgraphs in the order their first component comes; none
/// when the components run on one cluster.
fn groups(graph: &StreamGraph, components: &[Component], topics: &[TopicNode]) -> Vec<Group> {
    if graph.clusters < 2 {
        return Vec::new();
    }
    let mut keys: Vec<&str> = Vec::new();
    let mut out: Vec<Group> = Vec::new();
    for (i, c) in components.iter().enumerate() {
        let at = keys.iter().position(|k| *k == c.cluster.key).unwrap_or_else(|| {
            keys.push(&c.cluster.key);
            out.push(Group { name: c.cluster.name.clone(), nodes: Vec::new() });
            keys.len() - 1
        });
        out[at].nodes.push(comp_id(i));
    }
    for t in topics {
        if let Some(at) = t.cluster.as_deref().and_then(|k| keys.iter().position(|x| *x == k)) {
            out[at].nodes.push(t.id.clone());
        }
    }
    out
}

fn comp_id(i: usize) -> String {
    format!("c{i}")
}

fn pairing(
    graph: &StreamGraph,
    topic: petgraph::graph::NodeIndex,
    reader: usize,
    writer: Option<usize>,
) -> Option<Verdict> {
    let found: Vec<&Pairing> =
        graph.pairings.iter().filter(|p| p.node == topic && p.reader == reader && p.writer == writer).collect();
    found.first().map(|p| p.verdict.clone())
}

fn comp_label(c: &Component) -> String {
    format!("{} ({})", c.cr_name, c.kind.component())
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot(components: &[Component], topics: &[TopicNode], edges: &[Edge], groups: &[Group]) -> String {
    let mut out = String::from(
        "digraph mesh {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for (i, c) in components.iter().enumerate() {
        let shape = match c.kind {
            ComponentKind::Function => "box",
            ComponentKind::Source => "invhouse",
            ComponentKind::Sink => "cylinder",
        };
        let _ = writeln!(out, "  {} [shape={shape}, label=\"{}\"];", comp_id(i), quote(&comp_label(c)));
    }
    for t in topics {
        let label = if t.external { format!("{}\\n(external)", quote(&t.name)) } else { quote(&t.name) };
        let _ = writeln!(out, "  {} [shape=ellipse, style=dashed, label=\"{label}\"];", t.id);
    }
    for (i, g) in groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{i} {{\n    label=\"cluster {}\";", quote(&g.name));
        let _ = writeln!(out, "    {};\n  }}", g.nodes.join("; "));
    }
    for e in edges {
        let style = match &e.verdict {
            Some(Verdict::Unchecked(_)) => ", style=dashed",
            Some(Verdict::Incompatible(_)) => ", color=red, fontcolor=red",
            _ => "",
        };
        let suffix = verdict_suffix(&e.verdict);
        let _ = writeln!(out, "  {} -> {} [label=\"{}{suffix}\"{style}];", e.from, e.to, quote(&e.label));
    }
    out.push_str("}\n");
    out
}

fn verdict_suffix(v: &Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Unchecked(_)) => " (unchecked)",
        Some(Verdict::Incompatible(_)) => " (incompatible)",
        _ => "",
    }
}

fn mermaid(components: &[Component], topics: &[TopicNode], edges: &[Edge], groups: &[Group]) -> String {
    let esc = |s: &str| s.replace('"', "#quot;");
    let mut out = String::from("flowchart LR\n");
    for (i, c) in components.iter().enumerate() {
        let label = esc(&comp_label(c));
        let node = match c.kind {
            ComponentKind::Function => format!("{}[\"{label}\"]", comp_id(i)),
            ComponentKind::Source => format!("{}([\"{label}\"])", comp_id(i)),
            ComponentKind::Sink => format!("{}[(\"{label}\")]", comp_id(i)),
        };
        let _ = writeln!(out, "  {node}");
    }
    for t in topics {
        let label = if t.external { format!("{} (external)", esc(&t.name)) } else { esc(&t.name) };
        let _ = writeln!(out, "  {}{{{{\"{label}\"}}}}", t.id);
    }
    for (i, g) in groups.iter().enumerate() {
        let _ = writeln!(out, "  subgraph k{i} [\"cluster {}\"]", esc(&g.name));
        for n in &g.nodes {
            let _ = writeln!(out, "    {n}");
        }
        out.push_str("  end\n");
    }
    for e in edges {
        let label = format!("{}{}", esc(&e.label), verdict_suffix(&e.verdict));
        let arrow = if matches!(e.verdict, Some(Verdict::Unchecked(_))) { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {} {arrow}|\"{label}\"| {}", e.from, e.to);
    }
    out
}
