//! C018 a consumer cannot read what a producer writes; C019 a producer's schema
//! breaks the topic's compatibility strategy.
//!
//! For every topic: each writer (a producing component, or the topic's declared
//! schema when outside producers write it) is paired with each reader, and the
//! reader's schema must read the writer's ([`crate::types::reads`]). Every
//! writer's schema must also be a change the topic's strategy accepts, against
//! the topic's schema and, for the `_TRANSITIVE` strategies, its history.
//! Pairs with too little information are recorded as unchecked, not reported.

use super::StreamGraph;
use super::{GraphCtx, Pairing};
use crate::ast::Document;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::streams::{Port, PortRole, TopicFacts};
use crate::resolve::Component;
use crate::types::{SchemaInfo, Verdict, reads};

/// One writer of a topic: a component's port, or the topic's own schema.
struct Writer<'a> {
    comp: Option<usize>,
    schema: SchemaInfo,
    port: Option<&'a Port>,
}

pub fn check(graph: &StreamGraph, components: &[Component], docs: &[Document]) -> (Vec<Pairing>, Diagnostics) {
    let ctx = GraphCtx { graph, components, docs };
    let mut pairings = Vec::new();
    let mut diags = Diagnostics::default();
    for ((address, _), &topic) in &graph.topics {
        let facts = graph.facts(topic);
        let writers = writers(graph, topic, facts);
        if let Some(f) = facts {
            evolution(&ctx, topic, f, &writers, &mut diags);
        }
        for (reader, rport) in graph.readers(topic) {
            for w in &writers {
                let verdict = reads(&rport.schema, &w.schema);
                if let Verdict::Incompatible(why) = &verdict {
                    diags.push(incompatible(&ctx, topic, reader, rport, w, why));
                }
                pairings.push(Pairing {
                    topic: address.clone(),
                    node: topic,
                    reader,
                    writer: w.comp,
                    reader_schema: rport.schema.label(),
                    writer_schema: w.schema.label(),
                    verdict,
                });
            }
        }
    }
    (pairings, diags)
}

fn writers<'a>(
    graph: &'a StreamGraph,
    topic: petgraph::graph::NodeIndex,
    facts: Option<&TopicFacts>,
) -> Vec<Writer<'a>> {
    let mut out: Vec<Writer> = graph
        .writers(topic)
        .into_iter()
        .map(|(c, p)| Writer { comp: Some(c), schema: p.schema.clone(), port: Some(p) })
        .collect();
    // Data written outside the mesh, or already on the topic, has the topic's schema.
    if let Some(f) = facts
        && (f.external || out.is_empty())
        && let Some((name, schema)) = &f.schema
    {
        out.push(Writer {
            comp: None,
            schema: SchemaInfo::Known { name: name.clone(), schema: schema.clone() },
            port: None,
        });
    }
    out
}

fn incompatible(
    ctx: &GraphCtx,
    topic: petgraph::graph::NodeIndex,
    reader: usize,
    rport: &Port,
    w: &Writer,
    why: &str,
) -> Diagnostic {
    let name = ctx.topic_name(topic);
    let who = match w.comp {
        Some(c) => format!("{} writes `{}`", ctx.describe(c), w.schema.label()),
        None => format!("the topic holds `{}`", w.schema.label()),
    };
    let message = format!(
        "{} reads `{name}`{} as `{}` but {who}: {why}",
        ctx.describe(reader),
        ctx.on_cluster(topic),
        rport.schema.label()
    );
    let at = rport.schema_span.unwrap_or(rport.span);
    let d = Diagnostic::error("C018", at, message).label(format!("read as `{}` here", rport.schema.label()));
    let d = match (w.port, ctx.graph.facts(topic)) {
        (Some(p), _) => {
            d.with_secondary(p.schema_span.unwrap_or(p.span), format!("written as `{}` here", w.schema.label()))
        }
        (None, Some(f)) => d.with_secondary(f.span, format!("`{name}` declared with `{}` here", w.schema.label())),
        (None, None) => d,
    };
    d.help(fix_for(why, &rport.schema.label(), &w.schema.label()))
}

/// The most specific fix the reason allows.
fn fix_for(why: &str, reader: &str, writer: &str) -> String {
    let field = why.rsplit("field `").next().and_then(|rest| rest.split('`').next());
    match field {
        Some(f) if why.ends_with("is not written and has no default") => {
            format!("give field `{f}` a default in `{reader}`, or read with `{writer}`")
        }
        // A mismatch of schema types names no field: read what is written.
        _ if !why.contains('`') => {
            format!("read with the type that is written (`{writer}`), or make the producer write `{reader}`")
        }
        _ => format!(
            "make `{reader}` able to read `{writer}` (new reader fields need defaults), or read with `{writer}`"
        ),
    }
}

/// C019: each component's write schema against the topic's strategy and history.
fn evolution(
    ctx: &GraphCtx,
    topic: petgraph::graph::NodeIndex,
    facts: &TopicFacts,
    writers: &[Writer],
    diags: &mut Diagnostics,
) {
    let Some((current, schema)) = &facts.schema else { return };
    let mut versions: Vec<(&str, &crate::types::Schema)> =
        facts.history.iter().map(|(n, s)| (n.as_str(), s.as_ref())).collect();
    versions.push((current.as_str(), schema.as_ref()));
    for w in writers {
        let (Some(c), Some(port), SchemaInfo::Known { name, schema: new }) = (w.comp, w.port, &w.schema) else {
            continue;
        };
        if port.role == PortRole::Log {
            continue;
        }
        if let Err(why) = facts.compatibility.accepts(new, &versions) {
            let topic_name = ctx.topic_name(topic);
            diags.push(
                Diagnostic::error(
                    "C019",
                    port.span,
                    format!(
                        "{} writes `{name}` to `{topic_name}`, which its {} strategy rejects: {why}",
                        ctx.describe(c),
                        facts.compatibility.name()
                    ),
                )
                .label(format!("writes `{name}`"))
                .with_secondary(facts.span, format!("`{topic_name}` holds `{current}` ({})", facts.compatibility.name()))
                .help("write a schema the strategy accepts (add defaults, keep field types), or change the topic's `compatibility`"),
            );
        }
    }
}
