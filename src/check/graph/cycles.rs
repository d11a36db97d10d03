//! C024 a cycle of components with no way out.
//!
//! A mesh may be cyclic (a retry loop sends failures back to an earlier step),
//! but when no member of the cycle writes to a topic that leaves it — read by a
//! component outside the cycle, or declared `external` — every message that
//! enters circulates for ever. Dead-letter topics count as ways out.

use super::GraphCtx;
use crate::diagnostics::Diagnostic;
use petgraph::graph::DiGraph;
use std::collections::BTreeSet;

pub fn check(ctx: &GraphCtx) -> Vec<Diagnostic> {
    let g = ctx.graph;
    // Component → component edges through topics.
    let mut comps: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<_> = (0..ctx.components.len()).map(|i| comps.add_node(i)).collect();
    for &topic in g.topics.values() {
        for (w, _) in g.writers(topic) {
            for (r, _) in g.readers(topic) {
                comps.update_edge(nodes[w], nodes[r], ());
            }
        }
    }
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(&comps) {
        let members: BTreeSet<usize> = scc.iter().map(|n| comps[*n]).collect();
        let is_cycle = members.len() > 1 || scc.iter().any(|n| comps.contains_edge(*n, *n));
        if !is_cycle || has_exit(ctx, &members) {
            continue;
        }
        let first = *members.iter().next().expect("invariant: an SCC has a member");
        let names: Vec<String> = members.iter().map(|m| ctx.describe(*m)).collect();
        let mut d = Diagnostic::warning(
            "C024",
            ctx.components[first].name_span(ctx.docs),
            format!("cycle with no way out: {}", names.join(" → ")),
        )
        .label("part of the cycle")
        .help("let some member write to a topic outside the cycle (a dead-letter topic, an external topic, or a sink)");
        for m in members.iter().skip(1) {
            d = d.with_secondary(ctx.components[*m].name_span(ctx.docs), "also in the cycle");
        }
        out.push(d);
    }
    out
}

fn has_exit(ctx: &GraphCtx, members: &BTreeSet<usize>) -> bool {
    let g = ctx.graph;
    g.topics.values().any(|&topic| {
        let written_inside = g.writers(topic).iter().any(|(w, _)| members.contains(w));
        let external = g.facts(topic).is_some_and(|f| f.external);
        let read_outside = g.readers(topic).iter().any(|(r, _)| !members.contains(r));
        let read_by_nobody = g.readers(topic).is_empty();
        written_inside && (external || read_outside || read_by_nobody)
    })
}
