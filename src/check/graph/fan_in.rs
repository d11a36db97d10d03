//! C025 several components write one topic.
//!
//! Fan-in is legitimate (several sources feeding one stream) but it is also what
//! a copy-pasted output topic looks like, and it gives up ordering across the
//! producers. A declared topic says it is meant with `multipleProducers: true`.
//! Dead-letter and log topics are shared by design and not counted.

use super::{GraphCtx, is_data};
use crate::diagnostics::Diagnostic;

pub fn check(ctx: &GraphCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &topic in ctx.graph.topics.values() {
        if ctx.graph.facts(topic).is_some_and(|f| f.multiple_producers) {
            continue;
        }
        let mut writers: Vec<_> = ctx.graph.writers(topic).into_iter().filter(|(_, p)| is_data(p)).collect();
        writers.dedup_by_key(|(c, _)| *c);
        if writers.len() < 2 {
            continue;
        }
        let (first, first_port) = writers[0];
        for (w, port) in &writers[1..] {
            let mut d = Diagnostic::warning(
                "C025",
                port.span,
                format!(
                    "{} and {} both write `{}`{}",
                    ctx.describe(*w),
                    ctx.describe(first),
                    ctx.topic_name(topic),
                    ctx.on_cluster(topic)
                ),
            )
            .label("another producer of this topic")
            .with_secondary(first_port.span, "first producer here")
            .help(
                "declare the topic with `multipleProducers: true` if the fan-in is meant, or write a topic of its own",
            );
            if let Some(f) = ctx.graph.facts(topic) {
                d = d.with_secondary(f.span, "topic declared here");
            }
            out.push(d);
        }
    }
    out
}
