//! C020 a declared topic is read but nothing writes it; C021 a declared topic
//! is written but nothing reads it.
//!
//! Only topics a native mesh declares are linted: an operator resource's topics
//! may well be fed or drained by something outside the input, and fmc cannot
//! know. `external: true` says exactly that for a declared topic. Dead-letter
//! and log topics are read by people and tools, so they never count as unread.
//! Each cluster's topic is linted apart: a reader on `eu` of a topic written
//! on `us` reads nothing unless the topic is declared replicated, and the help
//! says so.

use super::{GraphCtx, is_data};
use crate::diagnostics::Diagnostic;

pub fn never_produced(ctx: &GraphCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &topic in ctx.graph.topics.values() {
        let Some(facts) = ctx.graph.facts(topic).filter(|f| !f.external) else { continue };
        let readers = ctx.graph.readers(topic);
        if readers.is_empty() || !ctx.graph.writers(topic).is_empty() {
            continue;
        }
        let (reader, port) = readers[0];
        out.push(
            Diagnostic::error(
                "C020",
                port.span,
                format!(
                    "{} reads `{}`{}, which nothing in the mesh writes",
                    ctx.describe(reader),
                    facts.logical,
                    ctx.on_cluster(topic)
                ),
            )
            .label("read here")
            .with_secondary(facts.span, "declared here, without `external: true`")
            .help(help(
                ctx,
                topic,
                "written",
                |t| ctx.graph.writers(t).is_empty(),
                "mark the topic `external: true` if something outside the mesh writes it, or add its producer",
            )),
        );
    }
    out
}

pub fn never_consumed(ctx: &GraphCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &topic in ctx.graph.topics.values() {
        let Some(facts) = ctx.graph.facts(topic).filter(|f| !f.external) else { continue };
        let writers: Vec<_> = ctx.graph.writers(topic).into_iter().filter(|(_, p)| is_data(p)).collect();
        if writers.is_empty() || !ctx.graph.readers(topic).is_empty() {
            continue;
        }
        let (writer, port) = writers[0];
        out.push(
            Diagnostic::warning(
                "C021",
                port.span,
                format!(
                    "{} writes `{}`{}, which nothing in the mesh reads",
                    ctx.describe(writer),
                    facts.logical,
                    ctx.on_cluster(topic)
                ),
            )
            .label("written here")
            .with_secondary(facts.span, "declared here, without `external: true`")
            .help(help(
                ctx,
                topic,
                "read",
                |t| ctx.graph.readers(t).is_empty(),
                "mark the topic `external: true` if something outside the mesh reads it, or remove the output",
            )),
        );
    }
    out
}

/// The fix: replication, when the same topic name is `done` (read or
/// written) on another cluster, that is on a node not `empty`; else `otherwise`.
fn help(
    ctx: &GraphCtx,
    topic: petgraph::graph::NodeIndex,
    done: &str,
    empty: impl Fn(petgraph::graph::NodeIndex) -> bool,
    otherwise: &str,
) -> String {
    let other = ctx.graph.elsewhere(topic).find(|&t| !empty(t));
    match other.and_then(|t| ctx.graph.placement(t)).map(super::Placement::name) {
        Some(cluster) => format!(
            "`{}` is {done} on cluster `{cluster}`, a topic of its own: list both clusters in the topic's \
             `replicationClusters` if it is geo-replicated",
            ctx.topic_name(topic)
        ),
        None => otherwise.to_string(),
    }
}
